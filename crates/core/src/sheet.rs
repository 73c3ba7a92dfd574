//! Reading the CSV a French office exports (issue 18, R15): `;`, `,` or tab as the
//! separator (the header line decides), UTF-8 with or without a BOM, or Windows-1252 when
//! the bytes are not UTF-8 (what Excel writes in "CSV (séparateur : point-virgule)"),
//! quoted cells with doubled quotes and line breaks inside, CRLF or LF.

/// How the file's bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

impl Encoding {
    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Why a file cannot be read at all (a line's own problems are reported with the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetProblem {
    /// No header line, or nothing but blank lines.
    Empty,
    /// A quoted cell opened on this line is never closed.
    Unterminated { line: usize },
    /// More lines than an import takes at once.
    TooManyLines { most: usize },
    /// A column the import needs is missing from the header (its French name).
    MissingColumn(&'static str),
    /// The same column twice in the header.
    DuplicateColumn(String),
}

/// A file read: its header and its records, each with the line number it starts on
/// (the header is line 1), blank records left out.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub encoding: Encoding,
    pub separator: char,
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Windows-1252's characters for bytes 0x80–0x9F (the rest is Latin-1); the five
/// undefined bytes keep their C1 code point.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜',
    '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The file's text and how it was encoded.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF")
        && let Ok(s) = std::str::from_utf8(rest)
    {
        return (s.to_string(), Encoding::Utf8Bom);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), Encoding::Utf8);
    }
    let text = bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH.get(usize::from(b - 0x80)).copied().unwrap_or('\u{fffd}'),
            _ => char::from(b),
        })
        .collect();
    (text, Encoding::Windows1252)
}

/// The separator of the header line: the most frequent of `;`, `,` and tab outside
/// quotes (`;` when none, as French spreadsheets write).
fn separator_of(text: &str) -> char {
    let mut counts = [(';', 0usize), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            _ if !quoted => {
                if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == c) {
                    slot.1 += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most frequent: `;` wins a tie.
    counts.iter().fold((';', 0), |best, &(s, n)| if n > best.1 { (s, n) } else { best }).0
}

/// Read `bytes` as a CSV file of at most `most` records after the header.
pub fn read(bytes: &[u8], most: usize) -> Result<Sheet, SheetProblem> {
    let (text, encoding) = decode(bytes);
    let separator = separator_of(&text);
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line = 1usize;
    let mut starts = 1usize;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                '\r' => {}
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                cells.push(std::mem::take(&mut cell));
                records.push((starts, std::mem::take(&mut cells)));
                line += 1;
                starts = line;
                // Blank lines are dropped later; this only bounds the memory a file takes.
                if records.len() > most.saturating_mul(2).saturating_add(100) {
                    return Err(SheetProblem::TooManyLines { most });
                }
            }
            _ if c == separator => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(SheetProblem::Unterminated { line: starts });
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push((starts, cells));
    }
    let mut records = records.into_iter().filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()));
    let (_, header) = records.next().ok_or(SheetProblem::Empty)?;
    let rows: Vec<(usize, Vec<String>)> = records.map(|(n, r)| (n, r.into_iter().map(|c| c.trim().to_string()).collect())).collect();
    if rows.len() > most {
        return Err(SheetProblem::TooManyLines { most });
    }
    Ok(Sheet { encoding, separator, header: header.into_iter().map(|h| h.trim().to_string()).collect(), rows })
}

/// A header's name as compared: lower case, without accents, spaces for `_` and `-`.
pub fn column_key(name: &str) -> String {
    let folded: String = name
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '_' | '-' | '\u{a0}' => ' ',
            other => other,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_bom_crlf_and_quotes() {
        let bytes = "\u{feff}nom;prénom\r\n\"Dupont; fils\";\"Jean \"\"JJ\"\"\"\r\n;\r\nMartin;Anne\r\n".as_bytes();
        let s = read(bytes, 10).unwrap();
        assert_eq!(s.encoding, Encoding::Utf8Bom);
        assert_eq!(s.separator, ';');
        assert_eq!(s.header, vec!["nom", "prénom"]);
        assert_eq!(s.rows, vec![(2, vec!["Dupont; fils".to_string(), "Jean \"JJ\"".into()]), (4, vec!["Martin".into(), "Anne".into()])]);
    }

    #[test]
    fn commas_and_a_line_break_inside_a_cell() {
        let s = read(b"a,b\n\"one\ntwo\",x\ny,z", 10).unwrap();
        assert_eq!(s.separator, ',');
        assert_eq!(s.rows, vec![(2, vec!["one\ntwo".to_string(), "x".into()]), (4, vec!["y".into(), "z".into()])]);
    }

    #[test]
    fn windows_1252_is_recognised() {
        // "prénom;fonction\nHélène;Chargée d'accueil — œuvre" in Windows-1252.
        let mut bytes = b"pr\xe9nom;fonction\nH\xe9l\xe8ne;Charg\xe9e d\x92accueil \x97 \x9cuvre".to_vec();
        bytes.push(b'\n');
        let s = read(&bytes, 10).unwrap();
        assert_eq!(s.encoding, Encoding::Windows1252);
        assert_eq!(s.header, vec!["prénom", "fonction"]);
        assert_eq!(s.rows[0].1, vec!["Hélène".to_string(), "Chargée d’accueil — œuvre".into()]);
    }

    #[test]
    fn broken_files_say_why() {
        assert_eq!(read(b"", 10).unwrap_err(), SheetProblem::Empty);
        assert_eq!(read(b" ; \n", 10).unwrap_err(), SheetProblem::Empty);
        assert_eq!(read(b"a;b\nx;\"open\n", 10).unwrap_err(), SheetProblem::Unterminated { line: 2 });
        assert_eq!(read(b"a\n1\n2\n3\n", 2).unwrap_err(), SheetProblem::TooManyLines { most: 2 });
        assert_eq!(read(b"a\n1\n2\n", 2).unwrap().rows.len(), 2);
    }

    #[test]
    fn column_names_compare_without_case_or_accents() {
        assert_eq!(column_key(" Prénom "), "prenom");
        assert_eq!(column_key("Adresse_électronique"), "adresse electronique");
        assert_eq!(column_key("DERNIÈRE  connexion"), "derniere connexion");
    }
}
