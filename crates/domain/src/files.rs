//! Uploaded files: mime types from content, safe file names, and the download header.

/// Files one upload request may carry; with the per-file limit it bounds the request body.
pub const MAX_FILES_PER_UPLOAD: usize = 10;
pub const FILENAME_MAX: usize = 255;
pub const DEFAULT_FILE_LIMIT: usize = 25 * 1024 * 1024;

/// The mime type of the content, never the client's claim: magic numbers first (`infer`), then
/// other UTF-8 text as `text/plain`, else `application/octet-stream`. An HTML upload is
/// reported as `text/html`; downloads are always attachments with `nosniff` and a sandbox
/// policy, so no upload ever runs in the API's origin whatever its type.
pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type();
    }
    if bytes.is_empty() {
        return "application/octet-stream";
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => "text/plain",
        _ => "application/octet-stream",
    }
}

/// The name a file is kept under: the last path component of what the client sent, without
/// control characters, at most 255 characters; `file` when nothing is left.
pub fn clean_filename(given: Option<&str>) -> String {
    let given = given.unwrap_or_default();
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(FILENAME_MAX).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".into()
    } else {
        cleaned.to_string()
    }
}

/// `Content-Disposition` for a download: always `attachment` (an upload is never rendered in
/// the API's origin), with an ASCII fallback name and the exact name in RFC 6266/5987 form.
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_from_content_not_names() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff_mime(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff_mime(b"<html><script>alert(1)</script></html>"), "text/html");
        assert_eq!(sniff_mime(b"id;name\n1;Ana\n"), "text/plain");
        assert_eq!(sniff_mime("olá, mundo".as_bytes()), "text/plain");
        assert_eq!(sniff_mime(&[0xff, 0x00, 0x13, 0x37]), "application/octet-stream");
        assert_eq!(sniff_mime(b""), "application/octet-stream");
    }

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(clean_filename(Some("C:\\Users\\ana\\contrato.pdf")), "contrato.pdf");
        assert_eq!(clean_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_filename(Some("a\r\nb.txt")), "ab.txt");
        assert_eq!(clean_filename(Some("..")), "file");
        assert_eq!(clean_filename(None), "file");
        assert_eq!(clean_filename(Some(&"x".repeat(300))).len(), 255);
    }

    #[test]
    fn downloads_are_attachments_with_encoded_names() {
        assert_eq!(
            content_disposition("relatório \"final\".pdf"),
            "attachment; filename=\"relat_rio _final_.pdf\"; filename*=UTF-8''relat%C3%B3rio%20%22final%22.pdf"
        );
    }
}
