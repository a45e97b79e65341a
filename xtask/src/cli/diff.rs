use similar::{ChangeTag, DiffOp, TextDiff};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// A unified diff of one file, `a/NAME` to `b/NAME`, coloured for a terminal when asked.
///
/// Only the lines between the first and the last difference (with context) are handed to the
/// diff algorithm: an edit of a 6,000-line file changes a few lines, and the rest need no
/// comparison beyond the byte-wise one that finds them.
pub fn unified_diff(name: &str, before: &str, after: &str, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color && !code.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let (skip, before, after) = changed_window(before, after);
    let diff = TextDiff::from_lines(before, after);
    let mut out = paint("1", &format!("--- a/{name}\n+++ b/{name}\n"));
    for group in diff.grouped_ops(CONTEXT) {
        out.push_str(&paint("36", &hunk_header(&group, skip)));
        out.push('\n');
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, code) = match change.tag() {
                    ChangeTag::Delete => ('-', "31"),
                    ChangeTag::Insert => ('+', "32"),
                    ChangeTag::Equal => (' ', ""),
                };
                let line = format!("{sign}{}", change.value());
                out.push_str(&paint(code, line.strip_suffix('\n').unwrap_or(&line)));
                out.push('\n');
                if change.missing_newline() {
                    out.push_str("\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// The parts of `before` and `after` from CONTEXT lines before their first difference to CONTEXT
/// lines after their last, and the number of lines skipped at the start.
fn changed_window<'a>(before: &'a str, after: &'a str) -> (usize, &'a str, &'a str) {
    let prefix = common_prefix(before.as_bytes(), after.as_bytes());
    let suffix = common_suffix(&before.as_bytes()[prefix..], &after.as_bytes()[prefix..]);
    // Back up to the start of the line holding the first difference, then CONTEXT lines more.
    let mut start = before[..prefix].rfind('\n').map_or(0, |i| i + 1);
    for _ in 0..CONTEXT {
        if start == 0 {
            break;
        }
        start = before[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    let skipped = before[..start].matches('\n').count();
    // Forward past the end of the line holding the last difference, then CONTEXT lines more.
    let tail = |text: &'a str| {
        let mut end = text.len() - suffix;
        for _ in 0..=CONTEXT {
            match text[end..].find('\n') {
                Some(i) => end += i + 1,
                None => return text.len(),
            }
        }
        end
    };
    (skipped, &before[start..tail(before)], &after[start..tail(after)])
}

/// The length of the common start of `a` and `b`, compared a block at a time (a memcmp) before
/// byte by byte: the texts are whole files that differ in a few lines.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let mut n = 0;
    while n + BLOCK <= a.len().min(b.len()) && a[n..n + BLOCK] == b[n..n + BLOCK] {
        n += BLOCK;
    }
    n + a[n..].iter().zip(&b[n..]).take_while(|(x, y)| x == y).count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let (mut n, limit) = (0, a.len().min(b.len()));
    while n + BLOCK <= limit
        && a[a.len() - n - BLOCK..a.len() - n] == b[b.len() - n - BLOCK..b.len() - n]
    {
        n += BLOCK;
    }
    n + a[..a.len() - n]
        .iter()
        .rev()
        .zip(b[..b.len() - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// `@@ -a,b +c,d @@` in diff's own notation, for line numbers counted from `skip`.
fn hunk_header(ops: &[DiffOp], skip: usize) -> String {
    let (first, last) = (&ops[0], &ops[ops.len() - 1]);
    let range = |start: usize, end: usize| {
        let len = end - start;
        match len {
            1 => format!("{}", skip + start + 1),
            0 => format!("{},0", skip + start),
            _ => format!("{},{len}", skip + start + 1),
        }
    };
    format!(
        "@@ -{} +{} @@",
        range(first.old_range().start, last.old_range().end),
        range(first.new_range().start, last.new_range().end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_gives_the_same_diff_as_the_whole_text() {
        let before: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        for (at, insert) in [(0, "new\n"), (20, "x\ny\n"), (40, "end\n")] {
            let mut lines: Vec<String> = before.lines().map(|l| format!("{l}\n")).collect();
            lines.insert(at, insert.to_owned());
            let after: String = lines.concat();
            let whole = TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(CONTEXT)
                .header("a/f", "b/f")
                .to_string();
            assert_eq!(unified_diff("f", &before, &after, false), whole, "insert at {at}");
        }
        let replaced = before.replace("line 7\n", "seven\n").replace("line 9\n", "");
        let whole = TextDiff::from_lines(&before, &replaced)
            .unified_diff()
            .context_radius(CONTEXT)
            .header("a/f", "b/f")
            .to_string();
        assert_eq!(unified_diff("f", &before, &replaced, false), whole);
    }
}
