/**
 * The procedure catalogue (the same at every scale). Codes are 8-digit, TUSS-like (the shape
 * of Brazil's TUSS dental terminology) but not guaranteed to be the official codes.
 * `perTooth` procedures get a tooth number on treatment-plan items; the others apply to the
 * whole mouth or an arch and get NULL.
 */

export interface Procedure {
  readonly code: string;
  readonly description: string;
  readonly category: string;
  /** Default price in cents. */
  readonly priceCents: number;
  readonly perTooth: boolean;
}

export const PROCEDURES: readonly Procedure[] = [
  { code: "81000030", description: "Consulta odontológica", category: "Diagnóstico", priceCents: 15000, perTooth: false },
  { code: "81000049", description: "Consulta odontológica de urgência", category: "Urgência", priceCents: 20000, perTooth: false },
  { code: "81000065", description: "Consulta odontológica inicial", category: "Diagnóstico", priceCents: 18000, perTooth: false },
  { code: "81000421", description: "Radiografia periapical", category: "Radiologia", priceCents: 4500, perTooth: true },
  { code: "81000472", description: "Radiografia panorâmica de mandíbula/maxila (ortopantomografia)", category: "Radiologia", priceCents: 12000, perTooth: false },
  { code: "81000375", description: "Radiografia interproximal (bite-wing)", category: "Radiologia", priceCents: 5000, perTooth: false },
  { code: "81000537", description: "Tomografia computadorizada de feixe cônico", category: "Radiologia", priceCents: 45000, perTooth: false },
  { code: "84000090", description: "Profilaxia: polimento coronário", category: "Prevenção", priceCents: 16000, perTooth: false },
  { code: "84000139", description: "Aplicação tópica de flúor", category: "Prevenção", priceCents: 8000, perTooth: false },
  { code: "84000198", description: "Aplicação de selante de fóssulas e fissuras", category: "Prevenção", priceCents: 9000, perTooth: true },
  { code: "85100099", description: "Restauração em resina fotopolimerizável 1 face", category: "Dentística", priceCents: 22000, perTooth: true },
  { code: "85100102", description: "Restauração em resina fotopolimerizável 2 faces", category: "Dentística", priceCents: 28000, perTooth: true },
  { code: "85100110", description: "Restauração em resina fotopolimerizável 3 faces", category: "Dentística", priceCents: 34000, perTooth: true },
  { code: "85100064", description: "Restauração de amálgama 1 face", category: "Dentística", priceCents: 15000, perTooth: true },
  { code: "85400017", description: "Clareamento dental caseiro", category: "Estética", priceCents: 90000, perTooth: false },
  { code: "85400025", description: "Clareamento dental em consultório", category: "Estética", priceCents: 120000, perTooth: false },
  { code: "85400475", description: "Faceta em resina composta", category: "Estética", priceCents: 60000, perTooth: true },
  { code: "85400483", description: "Lente de contato dental (cerâmica)", category: "Estética", priceCents: 220000, perTooth: true },
  { code: "85200042", description: "Tratamento endodôntico unirradicular", category: "Endodontia", priceCents: 70000, perTooth: true },
  { code: "85200050", description: "Tratamento endodôntico birradicular", category: "Endodontia", priceCents: 90000, perTooth: true },
  { code: "85200069", description: "Tratamento endodôntico multirradicular", category: "Endodontia", priceCents: 120000, perTooth: true },
  { code: "85200123", description: "Retratamento endodôntico multirradicular", category: "Endodontia", priceCents: 150000, perTooth: true },
  { code: "85300039", description: "Raspagem supra-gengival (por hemiarcada)", category: "Periodontia", priceCents: 18000, perTooth: false },
  { code: "85300047", description: "Raspagem sub-gengival/alisamento radicular", category: "Periodontia", priceCents: 25000, perTooth: false },
  { code: "85300063", description: "Gengivectomia", category: "Periodontia", priceCents: 40000, perTooth: true },
  { code: "82000174", description: "Exodontia simples de permanente", category: "Cirurgia", priceCents: 25000, perTooth: true },
  { code: "82000190", description: "Exodontia de dente incluso (siso)", category: "Cirurgia", priceCents: 60000, perTooth: true },
  { code: "82000212", description: "Exodontia de decíduo", category: "Odontopediatria", priceCents: 12000, perTooth: true },
  { code: "82001715", description: "Implante dentário osseointegrado", category: "Implantodontia", priceCents: 350000, perTooth: true },
  { code: "82001723", description: "Enxerto ósseo autógeno", category: "Implantodontia", priceCents: 180000, perTooth: true },
  { code: "85500020", description: "Coroa total metalocerâmica", category: "Prótese", priceCents: 150000, perTooth: true },
  { code: "85500038", description: "Coroa total em cerâmica pura (zircônia)", category: "Prótese", priceCents: 220000, perTooth: true },
  { code: "85500070", description: "Prótese total (dentadura) superior", category: "Prótese", priceCents: 250000, perTooth: false },
  { code: "85500089", description: "Prótese parcial removível", category: "Prótese", priceCents: 180000, perTooth: false },
  { code: "85500127", description: "Núcleo metálico fundido", category: "Prótese", priceCents: 40000, perTooth: true },
  { code: "87000016", description: "Aparelho ortodôntico fixo metálico (instalação)", category: "Ortodontia", priceCents: 150000, perTooth: false },
  { code: "87000024", description: "Aparelho ortodôntico autoligado (instalação)", category: "Ortodontia", priceCents: 300000, perTooth: false },
  { code: "87000032", description: "Manutenção de aparelho ortodôntico (mensal)", category: "Ortodontia", priceCents: 20000, perTooth: false },
  { code: "87000040", description: "Alinhadores transparentes (plano completo)", category: "Ortodontia", priceCents: 1200000, perTooth: false },
  { code: "87000059", description: "Contenção ortodôntica fixa", category: "Ortodontia", priceCents: 35000, perTooth: false },
  { code: "83000089", description: "Pulpotomia em decíduo", category: "Odontopediatria", priceCents: 30000, perTooth: true },
  { code: "86000020", description: "Placa miorrelaxante (bruxismo)", category: "Oclusão", priceCents: 80000, perTooth: false },
  { code: "86000039", description: "Aplicação de toxina botulínica (bruxismo)", category: "Harmonização orofacial", priceCents: 140000, perTooth: false },
];
