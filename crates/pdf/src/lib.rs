//! A small PDF writer for Habilis's documents (issue 18: the service contract; issue 15: the
//! proof of a yearly review). A document is a list of blocks — title, headings, paragraphs,
//! bullets, label/value rows — laid out on A4 pages in the standard Helvetica fonts (no
//! font is embedded: every PDF reader has them), encoded in WinAnsi so that French accents,
//! « guillemets », œ and the euro sign print as they should. French typography: a
//! non-breaking space before `;` `:` `!` `?` `»` and after `«`, so that they never start or
//! end a line. Each page carries the document's title and "page N / M" at its foot.
//!
//! PDF 1.4, uncompressed content streams; what cannot be written in WinAnsi prints as `?`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

/// A4, in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const FOOTER_Y: f32 = 28.0;

/// One piece of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Title(String),
    /// A line under the title, smaller.
    Subtitle(String),
    Heading(String),
    Subheading(String),
    Paragraph(String),
    /// A paragraph in a small size (notes, identifiers).
    Small(String),
    Bullet(String),
    /// A label in bold and its value beside it (wrapped in its column).
    Row(String, String),
    /// Space between blocks.
    Gap,
}

/// A document to write.
#[derive(Debug, Clone, Default)]
pub struct Document {
    title: String,
    blocks: Vec<Block>,
}

#[derive(Clone, Copy, PartialEq)]
enum Font {
    Regular,
    Bold,
}

/// One line placed on a page.
struct Placed {
    x: f32,
    y: f32,
    size: f32,
    font: Font,
    text: Vec<u8>,
}

impl Document {
    /// A document whose metadata and page feet carry `title`.
    pub fn new(title: &str) -> Self {
        Document { title: title.to_string(), blocks: Vec::new() }
    }

    /// Add a block.
    pub fn push(&mut self, b: Block) -> &mut Self {
        self.blocks.push(b);
        self
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The document as PDF bytes.
    pub fn to_pdf(&self) -> Vec<u8> {
        let pages = self.layout();
        write_pdf(&self.title, &pages)
    }

    /// Lay the blocks out on pages.
    fn layout(&self) -> Vec<Vec<Placed>> {
        let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
        let top = PAGE_H - MARGIN;
        let bottom = MARGIN + 14.0;
        let width = PAGE_W - 2.0 * MARGIN;
        let mut y = top;
        // Keep a block's first lines together, and a heading with what follows it (`keep`
        // counts lines of body text needed below the block's own lines).
        let place = |pages: &mut Vec<Vec<Placed>>, y: &mut f32, lines: Vec<(f32, f32, Font, String)>, leading: f32, keep: usize| {
            let own = lines.len().clamp(1, 2) as f32 * leading;
            let needed = own + if keep > 2 { (keep - 1) as f32 * 14.0 } else { 0.0 };
            if *y - needed < bottom {
                pages.push(Vec::new());
                *y = top;
            }
            for (x, size, font, text) in lines {
                if *y - leading < bottom {
                    pages.push(Vec::new());
                    *y = top;
                }
                *y -= leading;
                if let Some(p) = pages.last_mut() {
                    p.push(Placed { x, y: *y, size, font, text: winansi(&text) });
                }
            }
        };
        for b in &self.blocks {
            match b {
                Block::Title(t) => {
                    let lines = wrap(&french(t), Font::Bold, 17.0, width).into_iter().map(|l| (MARGIN, 17.0, Font::Bold, l)).collect();
                    place(&mut pages, &mut y, lines, 22.0, 2);
                    y -= 4.0;
                }
                Block::Subtitle(t) => {
                    let lines = wrap(&french(t), Font::Regular, 11.0, width).into_iter().map(|l| (MARGIN, 11.0, Font::Regular, l)).collect();
                    place(&mut pages, &mut y, lines, 15.0, 1);
                    y -= 6.0;
                }
                Block::Heading(t) => {
                    y -= 8.0;
                    let lines = wrap(&french(t), Font::Bold, 13.0, width).into_iter().map(|l| (MARGIN, 13.0, Font::Bold, l)).collect();
                    place(&mut pages, &mut y, lines, 17.0, 4);
                    y -= 2.0;
                }
                Block::Subheading(t) => {
                    y -= 4.0;
                    let lines = wrap(&french(t), Font::Bold, 11.0, width).into_iter().map(|l| (MARGIN, 11.0, Font::Bold, l)).collect();
                    place(&mut pages, &mut y, lines, 15.0, 3);
                }
                Block::Paragraph(t) => {
                    for para in t.split('\n') {
                        let lines = wrap(&french(para), Font::Regular, 10.5, width).into_iter().map(|l| (MARGIN, 10.5, Font::Regular, l)).collect();
                        place(&mut pages, &mut y, lines, 14.0, 2);
                    }
                    y -= 4.0;
                }
                Block::Small(t) => {
                    for para in t.split('\n') {
                        let lines = wrap(&french(para), Font::Regular, 8.5, width).into_iter().map(|l| (MARGIN, 8.5, Font::Regular, l)).collect();
                        place(&mut pages, &mut y, lines, 11.0, 1);
                    }
                    y -= 2.0;
                }
                Block::Bullet(t) => {
                    let indent = 14.0;
                    let mut lines: Vec<(f32, f32, Font, String)> = wrap(&french(t), Font::Regular, 10.5, width - indent).into_iter().map(|l| (MARGIN + indent, 10.5, Font::Regular, l)).collect();
                    if let Some(first) = lines.first_mut() {
                        first.3 = format!("–\u{a0}{}", first.3);
                        first.0 = MARGIN + indent - text_width("–\u{a0}", Font::Regular, 10.5);
                    }
                    place(&mut pages, &mut y, lines, 14.0, 2);
                    y -= 1.0;
                }
                Block::Row(label, value) => {
                    let col = 170.0;
                    let left: Vec<String> = wrap(&french(label), Font::Bold, 10.0, col - 8.0);
                    let right: Vec<String> = wrap(&french(value), Font::Regular, 10.0, width - col);
                    let n = left.len().max(right.len());
                    let mut lines = Vec::new();
                    for i in 0..n {
                        // Both columns on the same baselines: the value's lines follow the label's.
                        if let Some(l) = left.get(i) {
                            lines.push((MARGIN, 10.0, Font::Bold, l.clone(), true));
                        }
                        if let Some(r) = right.get(i) {
                            lines.push((MARGIN + col, 10.0, Font::Regular, r.clone(), left.get(i).is_none()));
                        }
                    }
                    // Lay out pairs: a new baseline only for the first piece of each line.
                    let needed = 13.0 * n.min(2) as f32;
                    if y - needed < bottom {
                        pages.push(Vec::new());
                        y = top;
                    }
                    for (x, size, font, text, new_line) in lines {
                        if new_line {
                            if y - 13.0 < bottom {
                                pages.push(Vec::new());
                                y = top;
                            }
                            y -= 13.0;
                        }
                        if let Some(p) = pages.last_mut() {
                            p.push(Placed { x, y, size, font, text: winansi(&text) });
                        }
                    }
                    y -= 3.0;
                }
                Block::Gap => y -= 10.0,
            }
        }
        pages
    }
}

/// French typography: a non-breaking space before `; : ! ? »` and after `«` (a plain space
/// there becomes one; none is added where there was none).
pub fn french(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let prev = if i > 0 { chars.get(i - 1).copied() } else { None };
        if *c == ' ' && (matches!(next, Some(';' | ':' | '!' | '?' | '»')) || prev == Some('«')) {
            out.push('\u{a0}');
        } else {
            out.push(*c);
        }
    }
    out
}

/// `s` cut into lines no wider than `width` at `size`, breaking at spaces (never at a
/// non-breaking one); a word wider than the line is cut.
fn wrap(s: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, font, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word alone wider than the line: cut it.
        let mut piece = String::new();
        for ch in word.chars() {
            piece.push(ch);
            if text_width(&piece, font, size) > width {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(ch);
            }
        }
        line = piece;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The width of `s` in points.
fn text_width(s: &str, font: Font, size: f32) -> f32 {
    let units: u32 = winansi(s).iter().map(|b| glyph_width(*b)).sum();
    let bold = if font == Font::Bold { 1.06 } else { 1.0 };
    units as f32 * size / 1000.0 * bold
}

/// Helvetica's advance widths (1/1000 em) for WinAnsi codes (Adobe's AFM metrics).
fn glyph_width(b: u8) -> u32 {
    const ASCII: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space–/
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0–?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @–O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P–_
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `–o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p–~
    ];
    match b {
        32..=126 => u32::from(ASCII.get(usize::from(b - 32)).copied().unwrap_or(556)),
        0x80 => 556,                      // €
        0x91 | 0x92 => 222,               // ‘ ’
        0x93 | 0x94 => 333,               // “ ”
        0x96 => 556,                      // –
        0x97 => 1000,                     // —
        0x85 => 1000,                     // …
        0x8C => 1000,                     // Œ
        0x9C => 944,                      // œ
        0xA0 => 278,                      // no-break space
        0xAB | 0xBB => 556,               // « »
        0xB0 => 400,                      // °
        0xC0..=0xC6 => 667,               // À–Æ (Æ wider, close enough)
        0xC7 => 722,                      // Ç
        0xC8..=0xCB => 667,               // È–Ë
        0xCC..=0xCF => 278,               // Ì–Ï
        0xD2..=0xD6 => 778,               // Ò–Ö
        0xD9..=0xDC => 722,               // Ù–Ü
        0xE0..=0xE5 => 556,               // à–å
        0xE6 => 889,                      // æ
        0xE7 => 500,                      // ç
        0xE8..=0xEB => 556,               // è–ë
        0xEC..=0xEF => 278,               // ì–ï
        0xF1..=0xF6 => 556,               // ñ–ö
        0xF9..=0xFC => 556,               // ù–ü
        0xFF => 500,                      // ÿ
        _ => 556,
    }
}

/// `s` in WinAnsi (Windows-1252); what it cannot hold becomes `?`.
pub fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            'Œ' => 0x8C,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'œ' => 0x9C,
            'Ÿ' => 0x9F,
            '\u{202f}' => 0xA0,
            '☐' => b'[',
            _ => b'?',
        })
        .collect()
}

/// A PDF string of WinAnsi bytes: `(`, `)` and `\` escaped.
fn pdf_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.push(b'(');
    for b in bytes {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(*b);
    }
    out.push(b')');
    out
}

/// A text string for the document's metadata: UTF-16BE with its mark, in hexadecimal.
fn utf16_hex(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for u in s.encode_utf16() {
        out.push_str(&format!("{u:04X}"));
    }
    out.push('>');
    out
}

fn write_pdf(title: &str, pages: &[Vec<Placed>]) -> Vec<u8> {
    let n = pages.len();
    // Objects: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then per page
    // its page object and its content stream.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec());
    objects.push(format!("<< /Title {} /Producer (Habilis) /Creator (Habilis) >>", utf16_hex(title)).into_bytes());
    for (i, page) in pages.iter().enumerate() {
        let mut content: Vec<u8> = Vec::new();
        for p in page {
            let font = if p.font == Font::Bold { "F2" } else { "F1" };
            content.extend_from_slice(format!("BT /{font} {:.1} Tf {:.2} {:.2} Td ", p.size, p.x, p.y).as_bytes());
            content.extend_from_slice(&pdf_string(&p.text));
            content.extend_from_slice(b" Tj ET\n");
        }
        let foot = winansi(&format!("{title} — page {} / {n}", i + 1));
        content.extend_from_slice(format!("0.35 g BT /F1 8 Tf {MARGIN:.2} {FOOTER_Y:.2} Td ").as_bytes());
        content.extend_from_slice(&pdf_string(&foot));
        content.extend_from_slice(b" Tj ET 0 g\n");
        objects.push(
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>", 7 + 2 * i).into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(&content);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_typography_and_winansi() {
        assert_eq!(french("Objet : la revue ; « oui » ?"), "Objet\u{a0}: la revue\u{a0}; «\u{a0}oui\u{a0}»\u{a0}?");
        assert_eq!(winansi("été œuvre « 5 € » – ✓"), vec![0xE9, b't', 0xE9, b' ', 0x9C, b'u', b'v', b'r', b'e', b' ', 0xAB, b' ', b'5', b' ', 0x80, b' ', 0xBB, b' ', 0x96, b' ', b'?']);
        // A non-breaking space never breaks a line.
        let lines = wrap(&french("mot : deux trois"), Font::Regular, 10.0, 40.0);
        assert!(lines.iter().any(|l| l.starts_with("mot\u{a0}:")), "{lines:?}");
    }

    #[test]
    fn a_long_document_runs_over_pages_with_a_valid_cross_reference() {
        let mut d = Document::new("Essai");
        d.push(Block::Title("Un titre".into()));
        for i in 0..200 {
            d.push(Block::Paragraph(format!("Paragraphe {i} : un texte assez long pour tenir sur plus d'une ligne à la taille du corps, avec des accents (éèàçœ) et des (parenthèses).")));
        }
        let pdf = d.to_pdf();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4") && text.trim_end().ends_with("%%EOF"));
        let pages = text.matches("/Type /Page ").count();
        assert!(pages > 3, "{pages} pages");
        assert!(text.contains(&format!("/Count {pages}")));
        // Every offset in the table points at its object.
        let xref_at: usize = text.rsplit("startxref\n").next().and_then(|s| s.lines().next()).and_then(|s| s.parse().ok()).unwrap();
        let table = &pdf[xref_at..];
        let table = String::from_utf8_lossy(table);
        for (i, line) in table.lines().skip(3).take_while(|l| l.ends_with(" n ")).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(pdf[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()), "object {}", i + 1);
        }
        assert!(text.contains("\\(parenth"), "parentheses escaped");
    }
}
