//! The `uri` format check the validator registers with jsonschema in place of its own.
//!
//! Every facet carries two URIs (`_producer`, `_schemaURL`), so checking them was the largest
//! single cost of the formats and facets tiers. Nearly every URI has a usual shape (a scheme,
//! then only bytes that need no second look). Up to 48 bytes of a scheme and plain bytes are
//! accepted without a branch on the bytes ([`is_plain_short_uri`]); otherwise one pass accepts
//! the usual shape ([`is_usual_uri`]: sixteen letters, digits, `-`, `.`, `/` or `_` at a time, a
//! table for the rest); anything else gets RFC 3986's `URI` rule as jsonschema's own fast path
//! reads it, with the path, query and fragment checked eight bytes at a time. A bracketed IP
//! literal in the authority (`http://[::1]/`) is rare and subtle, so it goes to jsonschema's own
//! check: the answer is then jsonschema's by construction. Answers for long URIs are cached per
//! thread. Unit tests compare the paths with each other and with jsonschema on many generated
//! strings. The whole-tier schema asks all this through one
//! keyword ([`URI_STRING`]) rather than `type` and `format`.

use serde_json::Value;

/// `unreserved / sub-delims`: what a `reg-name` holds besides percent-encodings.
const REG_NAME: u8 = 1;
const COLON: u8 = 2;
const AT: u8 = 4;
/// `"/" / "?"`: what a path, query or fragment holds besides `pchar`.
const SLASH_QUESTION: u8 = 8;
/// `ALPHA / DIGIT / "+" / "-" / "."`: what a scheme holds after its first letter.
const SCHEME: u8 = 16;

const CLASSES: [u8; 256] = {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut class = 0;
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            )
        {
            class |= REG_NAME;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') {
            class |= SCHEME;
        }
        class |= match b {
            b':' => COLON,
            b'@' => AT,
            b'/' | b'?' => SLASH_QUESTION,
            _ => 0,
        };
        table[i] = class;
        i += 1;
    }
    table
};

/// Bytes a path, query or fragment holds as they are: `pchar` without percent-encodings, `/`
/// and `?`. A lookup table of booleans, so a run of them is checked without branches.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = CLASSES[i] & (REG_NAME | COLON | AT | SLASH_QUESTION) != 0;
        i += 1;
    }
    table
};

/// Whether `text` is a URI (RFC 3986 `URI`: a scheme, then an optional authority, a path, an
/// optional query and fragment), as jsonschema's `uri` format decides. `fallback` is
/// jsonschema's own check, asked only about an authority with a bracketed IP literal.
fn is_uri(text: &str, fallback: &jsonschema::Validator) -> bool {
    // Most URIs are decided here, inlined, so the call that decides them stays small.
    is_plain_short_uri(text.as_bytes()) || is_unusual_uri(text, fallback)
}

/// [`is_uri`] for a string the branch-free path leaves: cached when long.
#[inline(never)]
fn is_unusual_uri(text: &str, fallback: &jsonschema::Validator) -> bool {
    let bytes = text.as_bytes();
    let len = bytes.len();
    if !CACHED_LENGTHS.contains(&len) {
        return check_uncached(text, fallback);
    }
    // `try_with`: a thread's storage is gone while it exits, and validating then must not panic.
    SEEN.try_with(|seen| {
        let mut seen = seen.borrow_mut();
        // The set's two texts, the one asked about last first.
        let set = &mut seen[set_of(bytes)];
        if set[0].0 == text {
            return set[0].1;
        }
        if set[1].0 == text {
            set.swap(0, 1);
            return set[0].1;
        }
        let now = check_uncached(text, fallback);
        // The text asked about longer ago gives its place (and its buffer) to this one.
        set.swap(0, 1);
        let (known, answer) = &mut set[0];
        known.clear();
        known.push_str(text);
        *answer = now;
        now
    })
    .unwrap_or_else(|_| check_uncached(text, fallback))
}

/// The cache set of a text of 48 to 256 bytes: from its length, its last eight bytes and the
/// eight about its middle, which tell facet schema URLs apart (they share long prefixes), mixed
/// by one multiplication so that texts differing in any of those bytes land in unrelated sets.
fn set_of(bytes: &[u8]) -> usize {
    let len = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    let mixed = (word(len - 8) ^ word(len / 2 - 4).rotate_left(29) ^ len as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // The top bits of the product depend on every bit of the words.
    (mixed >> (64 - SETS.trailing_zeros())) as usize
}

/// The keyword the whole-tier schema writes `{"type": "string", "format": "uri"}` as
/// ([`super::normalise::fuse_uri_strings`]): one call where jsonschema makes two (a type check,
/// then the format through its format dispatch), for the two URIs of every facet.
pub(crate) const URI_STRING: &str = "x-openlineage-uri-string";

/// The [`URI_STRING`] keyword: a string that [`is_uri`] accepts.
struct UriString {
    /// jsonschema's own `uri` check, for what [`is_uri`] leaves to it.
    fallback: std::sync::Arc<jsonschema::Validator>,
}

impl<'i> jsonschema::Keyword<'i> for UriString {
    fn validate(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if jsonschema::Keyword::is_valid(self, instance) {
            Ok(())
        } else {
            Err(jsonschema::ValidationError::custom(
                "not a string in the `uri` format",
            ))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        instance
            .as_str()
            .is_some_and(|text| is_uri(text, &self.fallback))
    }
}

/// jsonschema's own `uri` check, which [`is_uri`] asks about what it leaves to it.
pub(crate) fn jsonschema_uri_check(
) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&serde_json::json!({ "format": "uri" }))
}

/// `options` with this module's `uri` check as the `uri` format and as the [`URI_STRING`]
/// keyword, both asking `fallback` ([`jsonschema_uri_check`]) what they leave to it.
pub(crate) fn with_uri_checks<'i>(
    options: jsonschema::ValidationOptions<'i>,
    fallback: &std::sync::Arc<jsonschema::Validator>,
) -> jsonschema::ValidationOptions<'i> {
    let (format, keyword) = (fallback.clone(), fallback.clone());
    options
        .with_format("uri", move |text: &str| is_uri(text, &format))
        .with_keyword(
            URI_STRING,
            move |_: &serde_json::Map<String, Value>, _: &Value, _| {
                Ok(Box::new(UriString {
                    fallback: keyword.clone(),
                }))
            },
        )
}

/// Answers cached per thread: a producer sends its own URI in every facet and the same schema
/// URLs in every event. Only for lengths where the scan costs more than comparing and copying
/// the text: shorter URIs are checked at about the cost of the lookup.
const CACHED_LENGTHS: std::ops::RangeInclusive<usize> = 48..=256;
/// Sets of two texts each: two texts that fall into one set (the schema URLs of two facets an
/// event carries, say) are both kept, where one place a set made them evict each other on
/// every event. A power of two, as [`set_of`] takes the top bits of a product.
const SETS: usize = 64;

thread_local! {
    /// The two texts last checked in each set, the later one first, with their answers.
    static SEEN: std::cell::RefCell<[[(String, bool); 2]; SETS]> = std::cell::RefCell::new(
        std::array::from_fn(|_| std::array::from_fn(|_| (String::new(), false))),
    );
}

/// The answer for a string [`is_plain_short_uri`] does not accept, which [`is_uri`] asked first.
fn check_uncached(text: &str, fallback: &jsonschema::Validator) -> bool {
    is_usual_uri(text.as_bytes()) || check_fully(text, fallback)
}

/// The whole grammar, for a string [`is_usual_uri`] does not accept; apart, so the usual path
/// stays a small function.
#[cold]
#[inline(never)]
fn check_fully(text: &str, fallback: &jsonschema::Validator) -> bool {
    match check(text.as_bytes()) {
        Some(answer) => answer,
        None => fallback.is_valid(&Value::String(text.to_string())),
    }
}

/// What [`is_usual_uri`] adds up for each byte after the scheme: nothing for the bytes a URI
/// may hold anywhere there without a second look (`unreserved`, `sub-delims`, `/`, `?`), one
/// for `#`, and [`UNUSUAL`] for the rest (`:`, `@`, `%`, brackets, bytes no URI holds).
const USUAL: [u32; 256] = {
    let mut table = [UNUSUAL; 256];
    let mut i = 0;
    while i < 256 {
        if CLASSES[i] & (REG_NAME | SLASH_QUESTION) != 0 {
            table[i] = 0;
        }
        i += 1;
    }
    table[b'#' as usize] = 1;
    table
};
const UNUSUAL: u32 = 1 << 16;

/// Whether `bytes` is a scheme, `:`, then only bytes [`USUAL`] counts as nothing and at most
/// one `#`: a URI, whether or not an authority follows (it is then a `reg-name` alone, ended by
/// the first `/`, `?` or `#`). Nearly every URI an event carries has this shape. Sixteen bytes
/// that are all [`all_plain`] are passed over at once; the others add up one table entry per
/// byte, without a branch. `false` says only that the full grammar ([`check`]) must decide.
fn is_usual_uri(bytes: &[u8]) -> bool {
    let Some(colon) = scheme_length(bytes) else {
        return false;
    };
    let rest = &bytes[colon + 1..];
    // Sums of fewer than 2^16 entries keep the count of `#` below `UNUSUAL`.
    if rest.len() >= 1 << 16 {
        return false;
    }
    let table_sum = |part: &[u8]| part.iter().map(|&b| USUAL[b as usize]).sum::<u32>();
    let mut sum = 0;
    let mut blocks = rest;
    while let Some((block, tail)) = blocks.split_first_chunk::<16>() {
        if !all_plain(block) {
            sum += table_sum(block);
        }
        blocks = tail;
    }
    // The bytes after the last whole block: as the end of a block of the last sixteen bytes, or
    // of a block padded with letters when there are fewer.
    let plain_end = match rest.last_chunk::<16>() {
        Some(last) => all_plain(last),
        None => {
            let mut padded = [b'a'; 16];
            padded[..blocks.len()].copy_from_slice(blocks);
            all_plain(&padded)
        }
    };
    if !plain_end {
        sum += table_sum(blocks);
    }
    sum <= 1
}

/// Whether `bytes`, at most 48 of them, are a scheme of letters, digits, `-` and `.` ending
/// within the first sixteen, `:`, then only [`is_plain`] bytes: the shape of nearly every URI an
/// event carries, decided without a branch on the bytes. [`is_usual_uri`] finds the scheme's end
/// a byte at a time; with schemes of different lengths (`s3`, `http`, `https`, `postgres`) that
/// loop's exit was mispredicted on nearly every URI, which cost more than the rest of the check.
///
/// The text is read in place as three blocks of sixteen: the first, the next (or the last),
/// the last. The first must be a scheme, its `:` and plain bytes ([`scheme_then_plain`]), and
/// the other two must hold no byte that is not plain past the first sixteen (where they overlap
/// the first block, its test already counted). A `+` in the scheme is not plain, so such a URI
/// is [`is_usual_uri`]'s to decide. `false` says only that it must decide.
///
/// The blocks are loaded from the text itself, not from a copy padded to 48 bytes (an earlier
/// way, with the same instructions): a load of sixteen bytes just written by several smaller or
/// overlapping stores waits until those stores complete. Reading in place took about a fifth
/// off the facets tier's time per event beyond the core tier's, at the same instruction count.
#[inline(always)]
fn is_plain_short_uri(bytes: &[u8]) -> bool {
    let len = bytes.len();
    // Longer texts (every facet schema URL) are the cache's: no call for them here.
    if len > 48 {
        return false;
    }
    if len < 16 {
        return is_plain_tiny_uri(bytes);
    }
    let first: &[u8; 16] = bytes.first_chunk().expect("at least sixteen bytes");
    let last: &[u8; 16] = bytes.last_chunk().expect("at least sixteen bytes");
    let next_at = 16.min(len - 16);
    let next: &[u8; 16] = bytes[next_at..next_at + 16]
        .try_into()
        .expect("sixteen bytes");
    let odd_later = (flags(next, is_plain) & past_first_block(next_at))
        | (flags(last, is_plain) & past_first_block(len - 16));
    scheme_then_plain(first) & (odd_later == 0)
}

/// Whether a text's first sixteen bytes are a scheme of letters, digits, `-` and `.`, its `:`,
/// then [`is_plain`] bytes: the first byte no scheme holds is a `:`, and it is the only byte of
/// the sixteen that is not plain.
#[inline(always)]
fn scheme_then_plain(first: &[u8; 16]) -> bool {
    // Byte `i` is bits `8 * i..8 * i + 8`, so the trailing zeros say which byte is first: 16
    // when all sixteen are scheme bytes.
    let scheme_end = (flags(first, is_scheme).trailing_zeros() / 8) as usize;
    // `& 15` keeps the shift and the index in range; `scheme_end < 16` is asked beside them.
    let only_colon = 0xFFu128 << (8 * (scheme_end & 15));
    first[0].is_ascii_alphabetic()
        & (scheme_end < 16)
        & (first[scheme_end & 15] == b':')
        & (flags(first, is_plain) == only_colon)
}

/// The mask that keeps, of a block of sixteen starting at byte `at`, the bytes past the first
/// sixteen of the text.
#[inline(always)]
fn past_first_block(at: usize) -> u128 {
    let inside = 16 - at.min(16);
    // Shifting a `u128` by 128 (a block that is the first) is out of range: nothing is kept.
    u128::MAX.checked_shl(8 * inside as u32).unwrap_or(0)
}

/// [`is_plain_short_uri`] for texts under sixteen bytes (`s3://b/k`), copied into a block
/// padded with letters; apart, so the common case stays small where it is inlined.
#[inline(never)]
fn is_plain_tiny_uri(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len >= 16 {
        return false;
    }
    // Letters after the end are plain bytes, and come after any `:` the text holds.
    let mut padded = [b'a'; 16];
    padded[..len].copy_from_slice(bytes);
    scheme_then_plain(&padded)
}

/// The block read as one number with each byte that `test` refuses as all ones, and every other
/// byte zero: one pass over the sixteen with no branch, which the compiler does at once.
#[inline(always)]
fn flags(block: &[u8; 16], test: fn(u8) -> bool) -> u128 {
    let mut out = [0u8; 16];
    // An index loop: at the release profile's `opt-level = 2` a zipped iterator is not inlined.
    for i in 0..16 {
        out[i] = u8::from(!test(block[i])).wrapping_neg();
    }
    u128::from_le_bytes(out)
}

/// `ALPHA / DIGIT / "+" / "-" / "."`, without a table lookup.
#[inline(always)]
fn is_scheme(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter | digit | (b == b'+') | (b == b'-') | (b == b'.')
}

/// A letter, digit, `-`, `.`, `/` or `_`, without a table lookup: [`all_plain`]'s test.
#[inline(always)]
fn is_plain(b: u8) -> bool {
    // Setting bit 5 turns upper-case letters into lower-case ones and nothing else into one.
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    // `-`, `.`, `/` and the digits are one run of thirteen bytes.
    let digit_dash_dot_slash = b.wrapping_sub(b'-') < 13;
    letter | digit_dash_dot_slash | (b == b'_')
}

/// Whether all sixteen bytes are letters, digits, `-`, `.`, `/` or `_`: what most of a URI is
/// made of, and all bytes [`USUAL`] counts as nothing. A fixed length, no early exit and
/// comparisons only let the compiler test the sixteen at once (SSE2 on x86-64).
#[inline(always)]
fn all_plain(block: &[u8; 16]) -> bool {
    let mut odd = 0u8;
    for &b in block {
        odd |= u8::from(!is_plain(b));
    }
    odd == 0
}

/// The answer for `bytes`, or `None` for an authority that stops at `[` or `]` (an IP literal).
fn check(bytes: &[u8]) -> Option<bool> {
    let Some(colon) = scheme_length(bytes) else {
        return Some(false);
    };
    let mut at = colon + 1;
    if bytes[at..].starts_with(b"//") {
        at += 2;
        // `[ userinfo "@" ] host [ ":" port ]` with a `reg-name` host (an IPv4 address is one
        // too), in one pass: the bytes all three may hold, counting what separates them.
        let (mut ats, mut colons, mut port) = (0, 0, at);
        while let Some(&b) = bytes.get(at) {
            if CLASSES[b as usize] & REG_NAME != 0 {
                at += 1;
            } else if b == b':' {
                colons += 1;
                port = at + 1;
                at += 1;
            } else if b == b'@' {
                // Colons before the `@` were the userinfo's.
                ats += 1;
                colons = 0;
                at += 1;
            } else if b == b'%' {
                if !is_escape(bytes, at) {
                    return Some(false);
                }
                at += 3;
            } else {
                break;
            }
        }
        if matches!(bytes.get(at), Some(b'[' | b']')) {
            return None;
        }
        // One `@` at most, and at most one `:` after it, followed by digits only.
        if ats > 1 || colons > 1 || (colons == 1 && !bytes[port..at].iter().all(u8::is_ascii_digit))
        {
            return Some(false);
        }
    }
    Some(is_path_query_fragment(&bytes[at..]))
}

/// The length of a leading scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`) followed by
/// `:`.
fn scheme_length(bytes: &[u8]) -> Option<usize> {
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let length = bytes
        .iter()
        .position(|&b| CLASSES[b as usize] & SCHEME == 0)?;
    (bytes[length] == b':').then_some(length)
}

/// Whether `bytes[at]` starts a percent-encoding (`%` and two hex digits).
fn is_escape(bytes: &[u8], at: usize) -> bool {
    bytes[at] == b'%'
        && bytes
            .get(at + 1..at + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
}

/// Whether `bytes` is a path, then an optional `?` query, then an optional `#` fragment. After
/// the scheme or the authority these hold the same bytes (`pchar`, `/`, `?`) but for one `#`
/// between query and fragment: a `?` in the path starts the query, which may hold more of them.
fn is_path_query_fragment(bytes: &[u8]) -> bool {
    let mut at = 0;
    let mut in_fragment = false;
    loop {
        // Nearly every byte is plain: eight at a time without a branch each.
        while let Some(chunk) = bytes.get(at..at + 8) {
            if !chunk.iter().fold(true, |all, &b| all & PLAIN[b as usize]) {
                break;
            }
            at += 8;
        }
        let Some(&b) = bytes.get(at) else {
            return true;
        };
        if PLAIN[b as usize] {
            at += 1;
        } else if b == b'%' {
            if !is_escape(bytes, at) {
                return false;
            }
            at += 3;
        } else if b == b'#' && !in_fragment {
            in_fragment = true;
            at += 1;
        } else {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn builtin() -> jsonschema::Validator {
        jsonschema_uri_check().expect("the format schema compiles")
    }

    /// Strings made of pieces that sit at the edges of RFC 3986: schemes good and bad, every
    /// delimiter, IPv6 and IPvFuture literals, percent-encodings broken and whole, ports,
    /// userinfo, characters outside ASCII and controls. Most start as a URI does, so both
    /// answers are common.
    fn tricky_strings(count: usize) -> Vec<String> {
        const STARTS: &[&str] = &[
            "http://",
            "https:",
            "s3://",
            "a+b-c.d:",
            "HTTP://",
            "file:///",
            "urn:",
            "x:/",
            "",
            "1a:",
            "-x://",
            "//",
            "http://user:pw@",
            "http://[::1]",
            "http://[v1.x]",
            "http://[fe80::1%25eth0]",
            "https://openlineage.io/spec/facets/1-0-0/",
            "http://[1:2:3:4:5:6:7:8:9]",
            "http://[:::]",
            "x://[",
        ];
        const PLAIN: &[&str] = &[
            "example.com",
            "a",
            "Z",
            "0",
            "80",
            ":80",
            "/",
            "/b",
            "?q=1",
            "#f",
            "1.2.3.4",
            "openlineage.io/spec/facets/1-0-0/TagsRunFacet.json",
            "#/$defs/RunEvent",
            "%20",
            "%aF",
            "~",
            "!$&'()*+,;=",
            "-._",
            ":",
            "@",
            "?",
            "//",
            "[::1]",
            "[v1.x]",
            "[::ffff:1.2.3.4]",
        ];
        const TRICKY: &[&str] = &[
            "%",
            "%2",
            "%zz",
            "%G0",
            "##",
            "@@",
            "[",
            "]",
            ":x",
            " ",
            "\t",
            "\"",
            "<",
            "\\",
            "^",
            "`",
            "{",
            "|",
            "}",
            "\u{e9}",
            "\u{7f}",
            "\u{0}",
            "\u{2028}",
            "\u{1F600}",
            "256.1.1.1",
            "[1:2:3:4:5:6:7:8:9]",
            "[:::]",
            "[v.x]",
        ];
        // A fixed xorshift, so a failure names a string that reproduces.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut pick = move |pieces: &[&'static str]| {
            let n = next();
            pieces[(n % pieces.len() as u64) as usize]
        };
        (0..count)
            .map(|i| {
                let mut text = String::from(pick(STARTS));
                for j in 0..(i % 6) {
                    // About one piece in five is a tricky one.
                    let tricky = (i * 7 + j * 3) % 5 == 0;
                    text.push_str(pick(if tricky { TRICKY } else { PLAIN }));
                }
                text
            })
            .collect()
    }

    #[test]
    fn answers_as_jsonschema_does_on_tricky_strings() {
        let builtin = builtin();
        let (mut accepted, mut rejected, mut literals, mut cached) = (0, 0, 0, 0);
        let texts = tricky_strings(100_000);
        // The second round answers long strings from the cache.
        for text in texts.iter().chain(&texts) {
            let ours = is_uri(text, &builtin);
            let theirs = builtin.is_valid(&Value::String(text.to_string()));
            assert_eq!(ours, theirs, "{text:?}");
            if ours {
                accepted += 1;
            } else {
                rejected += 1;
            }
            if check(text.as_bytes()).is_none() {
                literals += 1;
            }
            if CACHED_LENGTHS.contains(&text.len()) {
                cached += 1;
            }
        }
        // Both answers are common, and most strings are decided here, not by jsonschema.
        assert!(
            accepted > 20_000 && rejected > 20_000,
            "{accepted} / {rejected}"
        );
        assert!(literals > 1_000 && literals < 100_000, "{literals}");
        assert!(cached > 20_000, "{cached}");
    }

    /// Two long texts of one cache set are both kept, and a third takes the place of the one
    /// asked about longer ago; every answer is jsonschema's, from the cache or not.
    #[test]
    fn the_cache_keeps_the_two_latest_texts_of_a_set() {
        let builtin = builtin();
        let ask = |text: &str| {
            let ours = is_uri(text, &builtin);
            assert_eq!(ours, builtin.is_valid(&json!(text)), "{text:?}");
            ours
        };
        let cached = |text: &str| {
            SEEN.with(|seen| {
                seen.borrow()[set_of(text.as_bytes())]
                    .iter()
                    .find(|(known, _)| known == text)
                    .map(|(_, answer)| *answer)
            })
        };
        // Schema URLs, every other one with a space (not a URI), until one set holds a URI, a
        // text that is not, and a third.
        let mut sets: std::collections::HashMap<usize, Vec<String>> = Default::default();
        let [a, b, c] = (0..100_000)
            .find_map(|i| {
                let name = if i % 2 == 0 { "Facet" } else { "Fac et" };
                let text =
                    format!("https://openlineage.io/spec/facets/1-0-{i}/{name}.json#/$defs/F");
                let set = sets.entry(set_of(text.as_bytes())).or_default();
                set.push(text);
                let valid = |t: &String| builtin.is_valid(&json!(t));
                let mixed = set.iter().any(valid) && !set.iter().all(valid);
                (set.len() >= 3 && mixed).then(|| {
                    let (yes, no): (Vec<_>, Vec<_>) = set.iter().cloned().partition(valid);
                    let third = set.iter().find(|t| **t != yes[0] && **t != no[0]).cloned();
                    [yes[0].clone(), no[0].clone(), third.expect("a third text")]
                })
            })
            .expect("three texts in one set");
        let (answer_a, answer_b) = (ask(&a), ask(&b));
        assert_ne!(answer_a, answer_b);
        assert_eq!((cached(&a), cached(&b)), (Some(answer_a), Some(answer_b)));
        // Each is answered from the cache (with its answer there turned round, that is the
        // answer given), `a` then as the later of the two.
        let flip = |text: &str| {
            SEEN.with(|seen| {
                for (known, answer) in &mut seen.borrow_mut()[set_of(text.as_bytes())] {
                    if known == text {
                        *answer = !*answer;
                    }
                }
            })
        };
        flip(&b);
        assert_eq!(is_uri(&b, &builtin), !answer_b, "answered from the cache");
        flip(&b);
        flip(&a);
        assert_eq!(is_uri(&a, &builtin), !answer_a, "answered from the cache");
        flip(&a);
        assert_eq!(ask(&a), answer_a);
        let answer_c = ask(&c);
        assert_eq!(
            cached(&b),
            None,
            "the text asked about longer ago gives way"
        );
        assert_eq!((cached(&a), cached(&c)), (Some(answer_a), Some(answer_c)));
        assert_eq!((ask(&a), ask(&b), ask(&c)), (answer_a, answer_b, answer_c));
    }

    /// The branch-free scheme test is the table's `SCHEME` class that [`scheme_length`] reads,
    /// for every byte value.
    #[test]
    fn the_scheme_test_is_the_tables() {
        for b in 0..=255u8 {
            assert_eq!(is_scheme(b), CLASSES[b as usize] & SCHEME != 0, "{b}");
        }
    }

    /// The block test says what a byte-by-byte look says, for every byte value in every place of
    /// a block, beside plain bytes and beside bytes of every other kind.
    #[test]
    fn a_block_is_plain_exactly_when_each_byte_is() {
        let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b'_');
        for fill in [
            b'a', b'Z', b'0', b'_', b'-', b'/', b'~', b'%', 0x00, 0x7f, 0x80, 0xff,
        ] {
            for place in 0..16 {
                for b in 0..=255u8 {
                    let mut block = [fill; 16];
                    block[place] = b;
                    assert_eq!(
                        all_plain(&block),
                        block.iter().all(|&w| plain(w)),
                        "{block:?}"
                    );
                }
            }
        }
        // Each plain byte adds nothing up in the table, so passing over a plain block loses
        // nothing.
        for b in (0..=255u8).filter(|&b| plain(b)) {
            assert_eq!(USUAL[b as usize], 0, "{b}");
        }
    }

    /// The usual path answers as adding up the table over every byte does, whatever the length
    /// (under a block, blocks and a part, whole blocks) and wherever the bytes that need the
    /// table sit.
    #[test]
    fn passing_over_plain_blocks_answers_as_the_table_does() {
        let by_table = |bytes: &[u8]| {
            scheme_length(bytes).is_some_and(|colon| {
                bytes[colon + 1..]
                    .iter()
                    .map(|&b| USUAL[b as usize])
                    .sum::<u32>()
                    <= 1
            })
        };
        let mut texts = tricky_strings(20_000);
        for len in 0..50 {
            for odd in ["#", "##", ":", "%", "~", "\u{e9}", " ", "?", "@"] {
                for at in 0..=len {
                    let mut path: String = "aZ0-./_".chars().cycle().take(len).collect();
                    path.insert_str(at, odd);
                    texts.push(format!("s3:{path}"));
                }
            }
        }
        for text in &texts {
            assert_eq!(
                is_usual_uri(text.as_bytes()),
                by_table(text.as_bytes()),
                "{text:?}"
            );
        }
    }

    /// The branch-free path accepts exactly a string of at most 48 bytes whose scheme has no
    /// `+` and ends within the first sixteen and whose bytes after the `:` are all plain,
    /// whatever the scheme's length and wherever an odd byte sits (before, at or after the `:`,
    /// in any of the three blocks or where they overlap, at the end, or next to the short
    /// texts' padding); all it accepts the usual path and the whole grammar do.
    #[test]
    fn the_short_path_accepts_a_scheme_then_plain_bytes() {
        let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b'_');
        let expected = |bytes: &[u8]| {
            bytes.len() <= 48
                && scheme_length(bytes).is_some_and(|colon| {
                    colon < 16
                        && !bytes[..colon].contains(&b'+')
                        && bytes[colon + 1..].iter().all(|&b| plain(b))
                })
        };
        let mut texts: Vec<Vec<u8>> = tricky_strings(20_000)
            .into_iter()
            .map(String::into_bytes)
            .collect();
        for scheme in [
            "s",
            "s3",
            "http",
            "https",
            "postgres",
            "a+b-c.d",
            "abcdefghijklmno",
        ] {
            for len in 0..56 {
                let rest: Vec<u8> = b"//aZ0-./_".iter().copied().cycle().take(len).collect();
                let base = [scheme.as_bytes(), b":", &rest].concat();
                texts.push(base.clone());
                for at in 0..base.len() {
                    for odd in [
                        b':', b'#', b'%', b'?', b'~', b'+', b'@', b' ', b'9', b';', 0xba, 0x80,
                    ] {
                        let mut text = base.clone();
                        text[at] = odd;
                        texts.push(text);
                    }
                }
            }
        }
        // A scheme that ends at the sixteenth byte or later is the usual path's to take.
        texts.push(b"abcdefghijklmnop://a.example.com/x".to_vec());
        // Strings shorter than a block, and ones the padding could be mistaken for part of.
        for text in [
            "",
            "a",
            "a:",
            ":",
            ":a",
            "1:a",
            "a:b",
            "aaaa",
            "a:a:",
            "a/:b",
            "a_:b",
            // Fifteen scheme bytes: the padding's first byte would end the scheme.
            "abcdefghijklmno",
        ] {
            texts.push(text.as_bytes().to_vec());
        }
        for text in &texts {
            let shown = String::from_utf8_lossy(text);
            assert_eq!(is_plain_short_uri(text), expected(text), "{shown:?}");
            if is_plain_short_uri(text) {
                assert!(is_usual_uri(text), "{shown:?}");
                assert_eq!(check(text), Some(true), "{shown:?}");
            }
        }
    }

    /// What the usual path accepts, the whole grammar and jsonschema accept, on the tricky
    /// strings and on hand-written edges; it leaves strings with `:`, `@`, `%` or brackets after
    /// the scheme, or a second `#`, to the whole grammar.
    #[test]
    fn the_usual_path_accepts_only_uris() {
        let builtin = builtin();
        let agrees = |text: &str| {
            let usual = is_usual_uri(text.as_bytes());
            if usual {
                assert_eq!(check(text.as_bytes()), Some(true), "{text:?}");
                assert!(builtin.is_valid(&json!(text)), "jsonschema on {text:?}");
            }
            usual
        };
        let tricky = tricky_strings(100_000);
        let usual = tricky.iter().filter(|t| agrees(t)).count();
        let valid = tricky
            .iter()
            .filter(|t| check(t.as_bytes()) == Some(true))
            .count();
        assert!(
            usual > 10_000 && usual < valid,
            "{usual} usual of {valid} valid"
        );

        for (text, usual) in [
            (
                "https://openlineage.io/spec/facets/1-0-0/TagsRunFacet.json#/$defs/TagsRunFacet",
                true,
            ),
            ("s3://bucket/key?x=1&y=2;z", true),
            ("file:///tmp/a", true),
            ("urn", false),
            ("x:", true),
            ("http://a#b", true),
            // Second looks: the whole grammar decides these.
            ("http://a#b#c", false),
            ("http://h:8080/", false),
            ("http://u@h/", false),
            ("urn:a:b", false),
            ("s3://b/a%20b", false),
            ("http://[::1]/", false),
            ("http://a b", false),
            ("http://\u{e9}", false),
            ("1http://a", false),
            ("a_b://c", false),
        ] {
            assert_eq!(agrees(text), usual, "{text}");
        }
    }

    /// The URIs the event generator draws all take the usual path, and it says what the whole
    /// grammar says of them.
    #[cfg(feature = "proptest")]
    #[test]
    fn the_usual_path_accepts_generated_uris() {
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        for _ in 0..20_000 {
            let text = crate::arb::uri::Uri
                .new_tree(&mut runner)
                .expect("a URI")
                .current();
            assert!(is_usual_uri(text.as_bytes()), "{text:?}");
            assert_eq!(check(text.as_bytes()), Some(true), "{text:?}");
        }
    }

    /// The fused keyword says what `type: string` and this `uri` format say together.
    #[test]
    fn the_uri_string_keyword_is_a_type_and_a_format() {
        let fallback = std::sync::Arc::new(builtin());
        let compile = |schema: &Value| {
            let options = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true);
            with_uri_checks(options, &fallback)
                .build(schema)
                .expect("compiles")
        };
        let fused = compile(&json!({ URI_STRING: true }));
        let plain = compile(&json!({"type": "string", "format": "uri"}));
        let mut instances: Vec<Value> = tricky_strings(2_000)
            .into_iter()
            .map(Value::String)
            .collect();
        instances.extend([
            json!(null),
            json!(1),
            json!(true),
            json!(["https://a"]),
            json!({"a": 1}),
        ]);
        let mut verdicts = [0, 0];
        for instance in &instances {
            let answer = plain.is_valid(instance);
            assert_eq!(fused.is_valid(instance), answer, "{instance}");
            verdicts[usize::from(answer)] += 1;
        }
        assert!(verdicts[0] > 100 && verdicts[1] > 100, "{verdicts:?}");
    }

    #[test]
    fn decides_the_rfc_examples() {
        let builtin = builtin();
        for (text, valid) in [
            (
                "https://openlineage.io/spec/facets/1-0-0/TagsRunFacet.json#/$defs/TagsRunFacet",
                true,
            ),
            ("ftp://ftp.is.co.za/rfc/rfc1808.txt", true),
            ("ldap://[2001:db8::7]/c=GB?objectClass?one", true),
            ("mailto:John.Doe@example.com", true),
            ("news:comp.infosystems.www.servers.unix", true),
            ("tel:+1-816-555-1212", true),
            ("telnet://192.0.2.16:80/", true),
            ("urn:oasis:names:specification:docbook:dtd:xml:4.1.2", true),
            ("http://a/b/c/d;p?q#f?/", true),
            ("http://u:p@h:8080", true),
            ("http:", true),
            ("s3://bucket/a%20b", true),
            // Relative references are no URIs.
            ("//a/b", false),
            ("../b", false),
            ("", false),
            ("http://a/%2", false),
            ("http://a/%zz", false),
            ("http://a#b#c", false),
            ("http://a b", false),
            ("http://a:8o", false),
            ("http://a@b@c", false),
            ("http://[::1", false),
            ("http://é", false),
            ("1http://a", false),
        ] {
            assert_eq!(is_uri(text, &builtin), valid, "{text}");
            assert_eq!(
                builtin.is_valid(&json!(text)),
                valid,
                "jsonschema on {text}"
            );
        }
        // IP literals are left to jsonschema.
        assert_eq!(check(b"ldap://[2001:db8::7]/c=GB"), None);
    }
}
