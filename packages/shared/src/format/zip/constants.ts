/** ZIP record signatures and limits (PKWARE APPNOTE 6.3.10, sections 4.3.7–4.3.16). */
export const SIG = {
  localFile: 0x04034b50,
  dataDescriptor: 0x08074b50,
  centralFile: 0x02014b50,
  zip64EndOfCentralDir: 0x06064b50,
  zip64Locator: 0x07064b50,
  endOfCentralDir: 0x06054b50,
} as const;

export const METHOD = { store: 0, deflate: 8 } as const;
export type ZipMethod = keyof typeof METHOD;

/** bit 3: sizes and CRC follow the data in a data descriptor; bit 11: names are UTF-8. */
export const FLAGS = 0x0808;
export const VERSION_NEEDED = 20;
export const VERSION_NEEDED_ZIP64 = 45;
/** Made by: UNIX (3) << 8 | spec 4.5 — so unzip applies the file mode in external attributes. */
export const VERSION_MADE_BY = (3 << 8) | 45;
export const FILE_MODE = 0o100644;
export const U32_MAX = 0xffffffff;
export const U16_MAX = 0xffff;
export const ZIP64_EXTRA_ID = 0x0001;
