/**
 * Static pt-BR reference lists the generators draw from. Plain data, no logic.
 * Cities carry their real UF, DDD (area code) and a real CEP range (first five digits), so
 * generated addresses and phone numbers agree with each other.
 */

export interface City {
  readonly name: string;
  readonly uf: string;
  readonly ddd: number;
  /** Inclusive range of the CEP's first five digits. */
  readonly cep: readonly [number, number];
}

export const CITIES: readonly City[] = [
  { name: "São Paulo", uf: "SP", ddd: 11, cep: [1000, 5999] },
  { name: "Campinas", uf: "SP", ddd: 19, cep: [13000, 13139] },
  { name: "Santos", uf: "SP", ddd: 13, cep: [11000, 11099] },
  { name: "Ribeirão Preto", uf: "SP", ddd: 16, cep: [14000, 14114] },
  { name: "São José dos Campos", uf: "SP", ddd: 12, cep: [12200, 12248] },
  { name: "Rio de Janeiro", uf: "RJ", ddd: 21, cep: [20000, 23799] },
  { name: "Niterói", uf: "RJ", ddd: 21, cep: [24000, 24399] },
  { name: "Belo Horizonte", uf: "MG", ddd: 31, cep: [30000, 31999] },
  { name: "Juiz de Fora", uf: "MG", ddd: 32, cep: [36000, 36099] },
  { name: "Uberlândia", uf: "MG", ddd: 34, cep: [38400, 38415] },
  { name: "Curitiba", uf: "PR", ddd: 41, cep: [80000, 82999] },
  { name: "Londrina", uf: "PR", ddd: 43, cep: [86000, 86099] },
  { name: "Florianópolis", uf: "SC", ddd: 48, cep: [88000, 88099] },
  { name: "Joinville", uf: "SC", ddd: 47, cep: [89200, 89239] },
  { name: "Porto Alegre", uf: "RS", ddd: 51, cep: [90000, 91999] },
  { name: "Caxias do Sul", uf: "RS", ddd: 54, cep: [95000, 95124] },
  { name: "Salvador", uf: "BA", ddd: 71, cep: [40000, 42599] },
  { name: "Feira de Santana", uf: "BA", ddd: 75, cep: [44000, 44109] },
  { name: "Recife", uf: "PE", ddd: 81, cep: [50000, 52999] },
  { name: "Fortaleza", uf: "CE", ddd: 85, cep: [60000, 61599] },
  { name: "Goiânia", uf: "GO", ddd: 62, cep: [74000, 74899] },
  { name: "Brasília", uf: "DF", ddd: 61, cep: [70000, 72799] },
  { name: "Manaus", uf: "AM", ddd: 92, cep: [69000, 69099] },
  { name: "Belém", uf: "PA", ddd: 91, cep: [66000, 66999] },
  { name: "São Luís", uf: "MA", ddd: 98, cep: [65000, 65099] },
  { name: "Natal", uf: "RN", ddd: 84, cep: [59000, 59099] },
  { name: "João Pessoa", uf: "PB", ddd: 83, cep: [58000, 58099] },
  { name: "Maceió", uf: "AL", ddd: 82, cep: [57000, 57099] },
  { name: "Aracaju", uf: "SE", ddd: 79, cep: [49000, 49099] },
  { name: "Teresina", uf: "PI", ddd: 86, cep: [64000, 64099] },
  { name: "Vitória", uf: "ES", ddd: 27, cep: [29000, 29099] },
  { name: "Campo Grande", uf: "MS", ddd: 67, cep: [79000, 79129] },
  { name: "Cuiabá", uf: "MT", ddd: 65, cep: [78000, 78109] },
  { name: "Porto Velho", uf: "RO", ddd: 69, cep: [76800, 76834] },
  { name: "Macapá", uf: "AP", ddd: 96, cep: [68900, 68914] },
];

export const FEMALE_NAMES = [
  "Maria", "Ana", "Francisca", "Antônia", "Adriana", "Juliana", "Márcia", "Fernanda", "Patrícia",
  "Aline", "Sandra", "Camila", "Amanda", "Bruna", "Jéssica", "Letícia", "Júlia", "Luciana",
  "Vanessa", "Mariana", "Gabriela", "Beatriz", "Larissa", "Débora", "Cláudia", "Lúcia",
  "Conceição", "Raíssa", "Luíza", "Heloísa", "Valentina", "Helena", "Alícia", "Lívia", "Sofia",
  "Isadora", "Cecília", "Mônica", "Rosângela", "Simone", "Tânia", "Vitória", "Yasmin", "Thaís",
  "Íris", "Graça", "Glória", "Inês", "Kátia", "Natália",
];

export const MALE_NAMES = [
  "José", "João", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
  "Luís", "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe", "Raimundo",
  "Rodrigo", "Manoel", "Mateus", "André", "Fernando", "Fábio", "Leonardo", "Gustavo", "Guilherme",
  "Otávio", "Sérgio", "Vinícius", "Caio", "Davi", "Heitor", "Théo", "Benício", "Joaquim",
  "Samuel", "Emanuel", "Ícaro", "Júlio", "Cauã", "Valdir", "Sebastião", "Átila", "Luan",
  "Enzo", "Arthur", "Thiago", "Renan",
];

/** Second given names used in compounds like "Maria Eduarda" or "João Vitor". */
export const FEMALE_SECOND = ["Eduarda", "Clara", "Luísa", "Fernanda", "Cecília", "Vitória", "Helena", "Júlia", "de Fátima", "das Graças", "Aparecida", "do Socorro"];
export const MALE_SECOND = ["Vitor", "Pedro", "Lucas", "Miguel", "Gabriel", "Henrique", "Paulo", "Carlos", "Augusto", "Guilherme"];

export const SURNAMES = [
  "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
  "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
  "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
  "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira",
  "Araújo", "Conceição", "Magalhães", "Brandão", "Simões", "Falcão", "Guimarães", "Assunção",
  "Damasceno", "Sá", "Brito", "Monteiro", "Cavalcanti", "Albuquerque", "Bezerra", "Pinheiro",
  "Tavares", "Azevedo", "Queiroz", "Macêdo", "Siqueira", "Coelho", "Fontes", "Prates", "Peixoto",
  "Nóbrega", "Antunes", "Galvão", "Müller", "Yamamoto", "Nakamura", "Haddad", "D'Ávila",
];

export const STREET_TYPES = ["Rua", "Rua", "Rua", "Avenida", "Avenida", "Travessa", "Alameda", "Praça", "Estrada", "Rodovia"];

export const STREET_NAMES = [
  "Sete de Setembro", "XV de Novembro", "Quinze de Novembro", "Tiradentes", "Dom Pedro II",
  "Barão do Rio Branco", "Marechal Deodoro", "Floriano Peixoto", "Getúlio Vargas",
  "Presidente Juscelino Kubitschek", "das Flores", "dos Ipês", "das Acácias", "Santos Dumont",
  "Rui Barbosa", "José de Alencar", "Machado de Assis", "Castro Alves", "Cecília Meireles",
  "Oscar Freire", "Paulista", "Brigadeiro Faria Lima", "Rebouças", "Afonso Pena", "Boa Viagem",
  "Beira-Mar", "Independência", "Brasil", "São João", "Princesa Isabel", "Duque de Caxias",
  "Coronel Fabriciano", "Padre Anchieta", "Anita Garibaldi", "Visconde de Mauá",
  "Maria Quitéria", "Chico Mendes", "Irmã Dulce", "Zumbi dos Palmares", "Nossa Senhora da Penha",
];

export const BAIRROS = [
  "Centro", "Jardim América", "Vila Mariana", "Boa Vista", "Santa Cecília", "Copacabana",
  "Savassi", "Batel", "Moinhos de Vento", "Pituba", "Boa Viagem", "Aldeota", "Setor Bueno",
  "Asa Sul", "Asa Norte", "Ponta Negra", "Umarizal", "Renascença", "Tambaú", "Pajuçara",
  "Jardins", "Trindade", "Praia do Canto", "Jardim dos Estados", "Goiabeiras", "Vila Nova",
  "Jardim Paulista", "Bela Vista", "Liberdade", "Cidade Nova", "São Francisco", "Santo Antônio",
  "Parque São Jorge", "Jardim Botânico", "Consolação", "Lagoa", "Méier", "Tijuca", "Cambuí",
  "Água Verde",
];

export const COMPLEMENTOS = [
  "Apto 12", "Apto 101", "Apto 1304", "Bloco B, Apto 22", "Casa 2", "Fundos", "Sala 305",
  "Loja 1", "Cobertura", "Torre 1, Apto 87", "Casa", "Lote 7, Quadra 3",
];

export const ALLERGIES = [
  "Penicilina", "Amoxicilina", "Dipirona", "Látex", "Ibuprofeno", "AAS", "Lidocaína", "Iodo",
  "Sulfa", "Clorexidina", "Anti-inflamatórios não esteroides (AINEs)", "Articaína \"epinefrina\"",
];

export const MEDICATIONS = [
  "Losartana 50mg", "Metformina 850mg", "Levotiroxina 75mcg", "Sinvastatina 20mg",
  "Omeprazol 20mg", "Fluoxetina 20mg", "Anticoncepcional oral", "Varfarina 5mg",
  "Clonazepam 2mg", "Insulina NPH", "Atenolol 25mg", "AAS infantil 100mg",
];

export const HEALTH_PLANS = [
  "Particular", "Amil Dental", "OdontoPrev", "Bradesco Dental", "SulAmérica Odonto",
  "Unimed Odonto", "Porto Seguro Odonto", "MetLife", "Hapvida Odonto",
];

export const SPECIALTIES = [
  "Clínico geral", "Ortodontia", "Endodontia", "Periodontia", "Implantodontia",
  "Odontopediatria", "Prótese dentária", "Cirurgia bucomaxilofacial", "Dentística", "Harmonização orofacial",
];

/**
 * Free-text fragments for notes. On purpose they contain what breaks naive dump/restore code:
 * accents, emoji (surrogate pairs, skin-tone modifiers, ZWJ sequences, variation selectors),
 * CJK, double quotes, apostrophes, backslashes, tabs, newlines and a carriage return.
 */
export const NOTE_FRAGMENTS = [
  "Paciente relata sensibilidade ao frio no 36 🥶",
  "Prefere atendimento pela manhã ☀️",
  "Ansiedade odontológica — usar técnica de dessensibilização 😬",
  "Retorno em 6 meses para profilaxia 🦷✨",
  "Alergia a látex ⚠️ — usar luvas nitrílicas",
  "Responsável: mãe (Sra. Conceição) 👩‍👧",
  "Pagamento via PIX 💸",
  "Encaminhar p/ endodontia — Dr. José",
  "Obs.: \"não gosta de anestesia\"",
  "Tel. recado c/ vizinha\tD. Lúcia",
  "Queixa principal: dor ao mastigar.\nHistórico: bruxismo noturno.",
  "Ficha antiga em C:\\Clinica\\Fichas\\2019\\",
  "Paciente ❤️ muito colaborativo 👍🏽",
  "Confirmou via WhatsApp 📱✅",
  "Família 👨‍👩‍👧‍👦 toda em tratamento",
  "Criança de 8 anos, dentição mista 🧒",
  "Paciente japonês — 田中さん, fala pouco português",
  "Usa aparelho móvel; esqueceu o estojo d'água",
  "Hipertensa — aferir PA antes do procedimento 🩺",
  "Gestante (2º trimestre) 🤰 — evitar radiografias",
  "Não comparecer em dias de chuva 🌧️, mora longe",
  "Solicitou orçamento por e-mail 📧",
  "Reclamou da espera na recepção 😤",
  "Indicação da paciente Graça Magalhães 🙏",
  "Linha 1\r\nLinha 2 (quebra de linha Windows)",
  "Clareamento caseiro: moldeira entregue 😁",
  "Diabético tipo 2 — cicatrização lenta",
  "Pediu nota fiscal no CNPJ da empresa",
];

export const PLAN_TITLES = [
  "Tratamento ortodôntico", "Reabilitação oral", "Tratamento de canal", "Clareamento dental",
  "Prevenção e profilaxia", "Implante unitário", "Restaurações em resina", "Tratamento periodontal",
  "Prótese total superior", "Extração de sisos", "Lentes de contato dental", "Odontopediatria — rotina",
];
