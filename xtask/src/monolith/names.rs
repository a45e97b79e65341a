//! What a monolith may be called, and how its name maps to Nix, systemd, users and PostgreSQL.

/// Names the machine uses for its own units, users or roles, as lib/names.nix has them.
const RESERVED: &[&str] =
    &["acme", "nginx", "nobody", "postgres", "postgresql", "postgresql-setup", "root", "sshd"];
const RESERVED_PREFIXES: &[&str] = &["pg-", "systemd-"];

/// A monolith's name: lowercase letters, digits and `-`, starting with a letter, at most 32
/// characters. It is the Nix attribute and the systemd unit as it is; users and PostgreSQL roles
/// take it with `-` as `_` ([`role_name`]).
pub fn check_name(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 32 {
        Some("it is longer than 32 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it must start with a lowercase letter")
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        Some("only lowercase letters, digits and `-` are allowed")
    } else if name.ends_with('-') {
        Some("it must not end with `-`")
    } else if RESERVED.contains(&name) {
        Some("the machine itself uses it (a unit, a user or a PostgreSQL role)")
    } else if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Some("names starting with `pg-` or `systemd-` are PostgreSQL's and systemd's")
    } else {
        None
    };
    match problem {
        Some(p) => Err(format!("invalid monolith name `{name}`: {p}")),
        None => Ok(()),
    }
}

/// The system user and PostgreSQL role of a monolith: its name with `-` as `_`.
pub fn role_name(name: &str) -> String {
    name.replace('-', "_")
}

/// A domain as DNS and nginx take it: lowercase ASCII, internationalised labels as punycode
/// (`bücher.example` becomes `xn--bcher-kva.example`); anything else is refused, saying why.
pub fn normalize_domain(domain: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("invalid domain `{domain}`: {why}"));
    let trimmed = domain.strip_suffix('.').unwrap_or(domain);
    if trimmed.is_empty() {
        return bad("it is empty");
    }
    let mut labels = Vec::new();
    for label in trimmed.split('.') {
        let label = label.to_lowercase();
        let ascii = if label.is_ascii() {
            label
        } else {
            match punycode(&label) {
                Some(encoded) => format!("xn--{encoded}"),
                None => return bad("a label cannot be encoded as punycode"),
            }
        };
        if ascii.is_empty() {
            return bad("it has an empty label");
        }
        if ascii.len() > 63 {
            return bad("a label is longer than 63 characters");
        }
        if !ascii.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return bad("only letters, digits, `-` and `.` are allowed");
        }
        if ascii.starts_with('-') || ascii.ends_with('-') {
            return bad("a label must not start or end with `-`");
        }
        labels.push(ascii);
    }
    if labels.len() < 2 {
        return bad("it needs at least two labels, as in `shop.example.com`");
    }
    let out = labels.join(".");
    if out.len() > 253 {
        return bad("it is longer than 253 characters");
    }
    Ok(out)
}

/// RFC 3492 punycode of one label (without the `xn--` prefix).
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (((BASE - T_MIN + 1) * delta) / (delta + SKEW))
    }
    fn digit(d: u32) -> char {
        (if d < 26 { b'a' + d as u8 } else { b'0' + (d - 26) as u8 }) as char
    }
    let chars: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    while (handled as usize) < chars.len() {
        let m = *chars.iter().filter(|&&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        assert!(check_name("shop").is_ok());
        assert!(check_name("my-shop2").is_ok());
        for bad in ["", "Shop", "2shop", "shop_1", "shop-", "a".repeat(33).as_str(), "shöp"] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(role_name("my-shop"), "my_shop");
    }

    #[test]
    fn domains_are_normalized_to_ascii() {
        assert_eq!(normalize_domain("Shop.Example.com").unwrap(), "shop.example.com");
        assert_eq!(normalize_domain("bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(normalize_domain("münchen.de").unwrap(), "xn--mnchen-3ya.de");
        assert_eq!(normalize_domain("例え.テスト").unwrap(), "xn--r8jz45g.xn--zckzah");
        for bad in ["localhost", "a..b", "-a.com", "a_b.com", "a b.com", "${x}.com", "\"a\".com"] {
            assert!(normalize_domain(bad).is_err(), "{bad:?} accepted");
        }
    }
}
