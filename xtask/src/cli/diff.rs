use similar::{ChangeTag, TextDiff};

/// A unified diff of one file, `a/NAME` to `b/NAME`, coloured for a terminal when asked.
pub fn unified_diff(name: &str, before: &str, after: &str, color: bool) -> String {
    let diff = TextDiff::from_lines(before, after);
    let mut out = String::new();
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    out.push_str(&paint("1", &format!("--- a/{name}\n+++ b/{name}\n")));
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&paint("36", &format!("{}", hunk.header())));
        out.push('\n');
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Delete => ('-', "31"),
                ChangeTag::Insert => ('+', "32"),
                ChangeTag::Equal => (' ', ""),
            };
            let line = format!("{sign}{}", change.value());
            let line = line.strip_suffix('\n').unwrap_or(&line);
            out.push_str(&if code.is_empty() {
                line.to_owned()
            } else {
                paint(code, line)
            });
            out.push('\n');
            if change.missing_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}
