// TEMPORARY placeholder until the real module lands (not to be committed).
pub fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\n').collect()
}
pub fn sanitize_line(s: &str) -> String {
    sanitize(s).split_whitespace().collect::<Vec<_>>().join(" ")
}
pub fn html_to_text(s: &str) -> String {
    html2text::config::plain()
        .string_from_read(s.as_bytes(), 10000)
        .unwrap_or_default()
        .trim()
        .to_string()
}
pub fn strip_tags_inline(s: &str) -> String {
    sanitize_line(&html_to_text(s))
}
pub fn unwrap_redirect(s: &str) -> String {
    s.to_string()
}
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}
pub fn truncate_to_width(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
pub fn pad_to_width(s: &str, w: usize) -> String {
    let t = truncate_to_width(s, w);
    format!("{t:<w$}")
}
