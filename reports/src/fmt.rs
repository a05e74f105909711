//! Integer-only number formatting, so that identical results give a byte-identical page on
//! every machine (no float formatting, whose shortest-representation output and libm
//! rounding are not something a report should depend on).

/// `1234567` → `"1,234,567"`.
pub fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `value / div` with one decimal, rounded half up: `(1536, 1024)` → `"1.5"`.
/// A trailing `.0` is dropped (`"52"`, not `"52.0"`), which reads better on axes.
fn one_decimal(value: u64, div: u64) -> String {
    let tenths = (u128::from(value) * 10 + u128::from(div) / 2) / u128::from(div);
    if tenths % 10 == 0 { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

/// Compact count: `999`, `12.3k`, `4.6M`, `7.1G` (one decimal below 100 of a unit).
pub fn compact(v: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(1_000_000_000_000, "T"), (1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")];
    for (div, suffix) in UNITS {
        if v >= div {
            return if v / div >= 100 {
                format!("{}{suffix}", (u128::from(v) + u128::from(div / 2)) / u128::from(div))
            } else {
                format!("{}{suffix}", one_decimal(v, div))
            };
        }
    }
    v.to_string()
}

/// Bytes in binary units: `512 B`, `52.0 KiB`, `1.5 MiB`.
pub fn bytes(v: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (div, suffix) in UNITS {
        if v >= div {
            return format!("{} {suffix}", one_decimal(v, div));
        }
    }
    format!("{v} B")
}

/// `part / whole` in per-mille, rounded half up; `None` when `whole` is 0.
pub fn permille(part: u64, whole: u64) -> Option<u64> {
    if whole == 0 { None } else { Some(((u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole)) as u64) }
}

/// A per-mille value as a percentage with one decimal: `998` → `"99.8 %"` (with a no-break
/// space, so the sign never wraps away from its number).
pub fn percent(pm: u64) -> String {
    format!("{}.{}\u{a0}%", pm / 10, pm % 10)
}

/// Signed relative change from `old` to `new` in per-mille, rounded half away from zero
/// (3 → 1 is −66.7 %, not −66.6 %); `None` when `old` is 0 (no meaningful ratio).
pub fn change_permille(old: u64, new: u64) -> Option<i64> {
    if old == 0 {
        return None;
    }
    let num = (i128::from(new) - i128::from(old)) * 1000;
    let half = i128::from(old) / 2;
    let d = if num >= 0 { (num + half) / i128::from(old) } else { (num - half) / i128::from(old) };
    Some(d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// A signed per-mille change as `"+12.5 %"` / `"−50.0 %"` (with a real minus sign) / `"±0 %"`.
pub fn signed_percent(pm: i64) -> String {
    let a = pm.unsigned_abs();
    match pm.signum() {
        0 => "±0\u{a0}%".to_string(),
        1 => format!("+{}.{}\u{a0}%", a / 10, a % 10),
        _ => format!("\u{2212}{}.{}\u{a0}%", a / 10, a % 10),
    }
}

/// Fixed-point base-2 logarithm with 16 fractional bits (`log2(v) * 65536`, rounded down),
/// computed with integers only (the bit-by-bit squaring method) so chart coordinates on a
/// log axis are identical on every platform. `v` must be ≥ 1; 0 is treated as 1.
pub fn log2_fixed(v: u64) -> u64 {
    const FRAC: u32 = 16;
    let v = v.max(1);
    let int = 63 - u64::from(v.leading_zeros());
    // Mantissa m in [1, 2) as a 1.62 fixed-point number.
    let mut m: u128 = if int <= 62 { u128::from(v) << (62 - int) } else { u128::from(v) >> (int - 62) };
    let one: u128 = 1 << 62;
    let mut frac = 0u64;
    for bit in (0..FRAC).rev() {
        m = (m * m) >> 62;
        if m >= 2 * one {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (int << FRAC) | frac
}

/// Joins names for prose: `a`, `a and b`, `a, b and c`.
pub fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [a] => (*a).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(compact(999), "999");
        assert_eq!(compact(12_345), "12.3k");
        assert_eq!(compact(1_787_100), "1.8M");
        assert_eq!(compact(123_456_789), "123M");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(53248), "52 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(compact(10_000), "10k");
        assert_eq!(compact(u64::MAX), "18446744T");
        assert!(log2_fixed(u64::MAX) >> 16 == 63);
        assert_eq!(permille(1997, 2003), Some(997));
        assert_eq!(permille(1, 0), None);
        assert_eq!(percent(997), "99.7\u{a0}%");
        assert_eq!(change_permille(4, 2), Some(-500));
        assert_eq!(change_permille(0, 2), None);
        // Rounded, not truncated: 3 → 1 is −66.7 %, 3 → 5 is +66.7 %, 2/3 is 66.7 %.
        assert_eq!(change_permille(3, 1), Some(-667));
        assert_eq!(change_permille(3, 5), Some(667));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(signed_percent(-500), "\u{2212}50.0\u{a0}%");
        assert_eq!(signed_percent(125), "+12.5\u{a0}%");
        assert_eq!(signed_percent(0), "±0\u{a0}%");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn log2_is_exact_on_powers_and_monotonic() {
        for k in 0..63 {
            assert_eq!(log2_fixed(1 << k), k << 16);
        }
        // log2(3) = 1.58496...
        assert_eq!(log2_fixed(3) >> 8, (1.584_962_5_f64 * 256.0) as u64);
        let mut prev = 0;
        for v in 1..5000 {
            let l = log2_fixed(v);
            assert!(l >= prev);
            prev = l;
        }
    }
}
