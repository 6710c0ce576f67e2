/**
 * public.documents: metadata of X-rays, photos and PDFs kept in Supabase Storage (bucket,
 * object path, MIME type, size, SHA-256), some with a small bytea thumbnail. No objects are
 * uploaded: sizes and digests are plausible, not real.
 */
import { bytea, date, line, num, text, textArray, ts } from "../copy.ts";
import { Rng } from "../rng.ts";
import { BASE_MS, DAY_MS, YEAR_MS, sampleClinic, samplePatient } from "../world.ts";
import type { TableSpec } from "./spec.ts";

type Kind = "xray_panoramic" | "xray_periapical" | "tomography" | "photo" | "consent_form" | "exam" | "prescription";

interface KindInfo {
  bucket: string;
  mimes: readonly (readonly [mime: string, ext: string])[];
  /** Size range in KiB. */
  kib: readonly [number, number];
  names: readonly string[];
  image: boolean;
}

const KINDS: Record<Kind, KindInfo> = {
  xray_panoramic: { bucket: "radiografias", mimes: [["image/jpeg", "jpg"], ["application/dicom", "dcm"]], kib: [300, 6000], names: ["Panorâmica", "Radiografia panorâmica", "RX panorâmico"], image: true },
  xray_periapical: { bucket: "radiografias", mimes: [["image/jpeg", "jpg"], ["image/png", "png"]], kib: [80, 900], names: ["Periapical", "RX periapical", "Radiografia do dente"], image: true },
  tomography: { bucket: "radiografias", mimes: [["application/dicom", "dcm"], ["application/zip", "zip"]], kib: [20_000, 180_000], names: ["Tomografia cone beam", "Tomografia — maxila"], image: false },
  photo: { bucket: "fotos-clinicas", mimes: [["image/jpeg", "jpg"], ["image/heic", "heic"], ["image/webp", "webp"]], kib: [400, 5000], names: ["Foto intraoral", "Sorriso antes", "Sorriso depois ✨", "IMG"], image: true },
  consent_form: { bucket: "documentos", mimes: [["application/pdf", "pdf"]], kib: [60, 800], names: ["Termo de consentimento", "TCLE assinado"], image: false },
  exam: { bucket: "documentos", mimes: [["application/pdf", "pdf"], ["image/jpeg", "jpg"]], kib: [50, 2000], names: ["Hemograma", "Coagulograma", "Laudo"], image: false },
  prescription: { bucket: "documentos", mimes: [["application/pdf", "pdf"]], kib: [20, 200], names: ["Receita", "Prescrição — amoxicilina", "Atestado"], image: false },
};

const TAGS = ["pré-tratamento", "pós-tratamento", "controle 6 meses", "ortodontia", "implante", "urgência", "convênio", "importado"];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A fake PNG-looking thumbnail: PNG signature + random bytes (includes 0x00, \r, \n bytes). */
function thumbnail(rng: Rng): Uint8Array {
  const b = rng.bytes(rng.int(300, 1100));
  b.set(PNG_MAGIC, 0);
  return b;
}

export const documents: TableSpec = {
  table: "public.documents",
  columns: [
    "id", "clinic_id", "patient_id", "kind", "bucket", "object_path", "original_name", "mime_type",
    "size_bytes", "sha256", "thumbnail", "taken_on", "tags", "uploaded_by", "created_at",
  ],
  owned: true,
  *lines(world) {
    const rng = new Rng(world.seed, "documents");
    const n = world.counts.documents;
    const start = BASE_MS - 3 * YEAR_MS;
    for (let i = 0; i < n; i++) {
      const id = rng.uuid();
      const clinic = sampleClinic(world, rng);
      const patientId = samplePatient(clinic, rng);
      const kind = rng.weighted<Kind>({ xray_panoramic: 15, xray_periapical: 30, tomography: 2, photo: 25, consent_form: 12, exam: 8, prescription: 8 });
      const k = KINDS[kind];
      const [mime, ext] = rng.pick(k.mimes);
      const createdMs = start + Math.floor((i / n) * (3 * YEAR_MS - DAY_MS)) + rng.int(0, 600) * 60_000;
      const takenMs = rng.chance(0.2) ? null : createdMs - rng.int(0, 3) * DAY_MS;
      const label = rng.pick(k.names);
      const originalName = label === "IMG" ? `IMG_${rng.int(1000, 9999)}.${ext.toUpperCase()}` : `${label} ${date(createdMs)}.${ext}`;
      const tags = rng.chance(0.5) ? [] : rng.sample(TAGS, rng.int(1, 2));
      yield line(
        id, num(clinic.id), num(patientId), kind, k.bucket,
        text(`clinic_${clinic.id}/patient_${patientId}/${id}.${ext}`), text(originalName), mime,
        num(rng.int(k.kib[0], k.kib[1]) * 1024 + rng.int(0, 1023)), rng.hex(32),
        bytea(k.image && rng.chance(0.5) ? thumbnail(rng) : null), date(takenMs), textArray(tags),
        rng.chance(0.2) ? text(null) : rng.pick(clinic.memberUserIds), ts(createdMs),
      );
    }
  },
};
