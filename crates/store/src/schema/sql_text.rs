//! A small tokenizer for the SQL texts the catalogues return (CHECK bodies, index
//! predicates), enough to compare what they test rather than how each backend prints it.


#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    /// A bare word: keyword or unquoted identifier.
    Word(String),
    /// A quoted identifier ("x", `x`, and on SQLite [x]).
    Ident(String),
    /// A string literal, unquoted.
    Str(String),
    Num(String),
    Punct(char),
}

/// The tokens of `sql` with their byte ranges; comments and spaces dropped. `brackets`:
/// `[x]` quotes an identifier (SQLite), rather than being punctuation (PostgreSQL arrays).
pub(super) fn tokens(sql: &str, brackets: bool) -> Vec<(usize, usize, Tok)> {
    let mut out = Vec::new();
    let mut it = sql.char_indices().peekable();
    while let Some((start, ch)) = it.next() {
        let next = it.peek().map(|&(_, c)| c);
        let tok = match ch {
            c if c.is_whitespace() => continue,
            '-' if next == Some('-') => {
                for (_, c) in it.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            '/' if next == Some('*') => {
                it.next();
                let mut prev = ' ';
                for (_, c) in it.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                continue;
            }
            '\'' => Tok::Str(quoted(&mut it, '\'')),
            '"' => Tok::Ident(quoted(&mut it, '"')),
            '`' => Tok::Ident(quoted(&mut it, '`')),
            '[' if brackets => Tok::Ident(quoted(&mut it, ']')),
            c if c.is_ascii_digit() => {
                let mut s = String::from(c);
                while let Some(&(_, c)) = it.peek() {
                    if !(c.is_ascii_alphanumeric() || c == '.') {
                        break;
                    }
                    s.push(c);
                    it.next();
                }
                Tok::Num(s)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                while let Some(&(_, c)) = it.peek() {
                    if !(c.is_alphanumeric() || c == '_' || c == '$') {
                        break;
                    }
                    s.push(c);
                    it.next();
                }
                Tok::Word(s)
            }
            c => Tok::Punct(c),
        };
        let end = it.peek().map_or(sql.len(), |&(i, _)| i);
        out.push((start, end, tok));
    }
    out
}

/// The rest of a quoted token, after its opening quote; a doubled quote stands for itself.
pub(super) fn quoted(it: &mut std::iter::Peekable<std::str::CharIndices<'_>>, close: char) -> String {
    let mut s = String::new();
    while let Some((_, c)) = it.next() {
        if c == close {
            if close != ']' && it.peek().map(|&(_, c)| c) == Some(close) {
                it.next();
                s.push(c);
                continue;
            }
            break;
        }
        s.push(c);
    }
    s
}

/// The string and number literals among `toks`, sorted.
pub(super) fn literals(toks: &[(usize, usize, Tok)]) -> Vec<String> {
    let mut out: Vec<String> = toks
        .iter()
        .filter_map(|(_, _, t)| match t {
            Tok::Str(s) | Tok::Num(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    out.sort();
    out
}
