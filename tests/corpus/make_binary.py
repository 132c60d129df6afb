#!/usr/bin/env python3
"""Writes the corpus documents whose bytes are not plain UTF-8 text (or must be exact:
BOMs, invalid bytes, raw C1 controls), so they can be regenerated and reviewed here.

    python3 tests/corpus/make_binary.py

Each entry is (path relative to this folder, bytes). The expectations sit beside each
document in NAME.toml and are written by hand.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def doc(decl, title, desc, enc="utf-8"):
    """One RSS 2.0 item; `decl` is the whole XML declaration line (or '')."""
    text = (
        f"{decl}"
        '<rss version="2.0">\n'
        "<channel>\n"
        "<title>Encoding test</title>\n"
        "<link>http://example.com/</link>\n"
        "<description>Encoding test feed</description>\n"
        "<item>\n"
        f"<title>{title}</title>\n"
        "<link>http://example.com/posts/1</link>\n"
        "<guid>http://example.com/posts/1</guid>\n"
        f"<description>{desc}</description>\n"
        "</item>\n"
        "</channel>\n"
        "</rss>\n"
    )
    return text.encode(enc)


def decl(label):
    return f'<?xml version="1.0" encoding="{label}"?>\n'


CAFE = "Café déjà vu"
CAFE_D = "Crème brûlée à la carte"
RU = "Привет мир"
RU_D = "Съешь же ещё этих мягких французских булок"

FILES = [
    # --- UTF-16 / UTF-32: BOMs and labels ---------------------------------
    ("encoding/utf16be_bom_decl_utf16.bin",
     b"\xfe\xff" + doc(decl("UTF-16"), CAFE, CAFE_D, "utf-16-be")),
    ("encoding/utf16be_bom_decl_ucs2.bin",
     b"\xfe\xff" + doc(decl("ucs-2"), CAFE, CAFE_D, "utf-16-be")),
    ("encoding/utf16be_bom_decl_csunicode.bin",
     b"\xfe\xff" + doc(decl("csUnicode"), CAFE, CAFE_D, "utf-16-be")),
    ("encoding/utf16le_bom_decl_utf16.bin",
     b"\xff\xfe" + doc(decl("utf-16"), CAFE, CAFE_D, "utf-16-le")),
    ("encoding/utf16le_nobom_decl_utf16le.bin",
     doc(decl("UTF-16LE"), CAFE, CAFE_D, "utf-16-le")),
    ("encoding/utf16be_nobom_decl_utf16be.bin",
     doc(decl("UTF-16BE"), CAFE, CAFE_D, "utf-16-be")),
    ("encoding/utf16be_bom_no_decl.bin",
     b"\xfe\xff" + doc("", CAFE, CAFE_D, "utf-16-be")),
    ("encoding/utf16le_bom_decl_utf8.bin",
     b"\xff\xfe" + doc(decl("utf-8"), CAFE, CAFE_D, "utf-16-le")),
    ("encoding/utf16_decl_but_utf8_bytes.xml",
     doc(decl("UTF-16"), CAFE, CAFE_D, "utf-8")),
    ("encoding/utf32be_bom.bin",
     b"\x00\x00\xfe\xff" + doc(decl("UTF-32"), CAFE, CAFE_D, "utf-32-be")),
    ("encoding/utf32le_bom.bin",
     b"\xff\xfe\x00\x00" + doc(decl("UTF-32"), CAFE, CAFE_D, "utf-32-le")),
    # --- UTF-8 ---------------------------------------------------------------
    ("encoding/utf8_bom.xml",
     b"\xef\xbb\xbf" + doc(decl("utf-8"), CAFE, CAFE_D)),
    ("encoding/utf8_bom_decl_latin1.bin",
     b"\xef\xbb\xbf" + doc(decl("ISO-8859-1"), CAFE, CAFE_D)),
    ("encoding/utf8_no_decl.xml",
     doc("", CAFE, CAFE_D)),
    ("encoding/utf8_label_no_hyphen.xml",
     doc(decl("UTF8"), CAFE, CAFE_D)),
    # --- single-byte charsets (WHATWG labels) ---------------------------------
    ("encoding/iso88591_decl.bin",
     doc(decl("ISO-8859-1"), CAFE, CAFE_D, "latin-1")),
    ("encoding/iso88591_decl_0x92.bin",
     doc(decl("iso-8859-1"), "Don\u2019t panic", "It\u2019s \u201cfine\u201d \u2013 really", "cp1252")),
    ("encoding/windows1252_decl.bin",
     doc(decl("windows-1252"), "\u201cQuoted\u201d \u2013 don\u2019t", "Costs \u20ac5\u2026 or so", "cp1252")),
    ("encoding/latin1_label.bin",
     doc(decl("latin1"), CAFE, CAFE_D, "latin-1")),
    ("encoding/iso885915_decl.bin",
     doc(decl("ISO-8859-15"), "Prix : 5 \u20ac", "\u0152uvre \u0153uvre", "iso8859-15")),
    ("encoding/us_ascii_decl_high_byte.bin",
     doc(decl("us-ascii"), CAFE, CAFE_D, "cp1252")),
    ("encoding/windows1251_decl.bin",
     doc(decl("windows-1251"), RU, RU_D, "cp1251")),
    ("encoding/koi8r_decl.bin",
     doc(decl("KOI8-R"), RU, RU_D, "koi8-r")),
    ("encoding/macintosh_decl.bin",
     doc(decl("macintosh"), CAFE, CAFE_D, "mac-roman")),
    # --- labels outside the WHATWG set ----------------------------------------
    ("encoding/windows_1252_underscore.bin",
     doc(decl("windows_1252"), "\u201cQuoted\u201d \u2013 don\u2019t", "Costs \u20ac5\u2026 or so", "cp1252")),
    ("encoding/macroman_decl.bin",
     doc(decl("macroman"), CAFE, CAFE_D, "mac-roman")),
    ("encoding/cp437_decl.bin",
     doc(decl("cp437"), CAFE, CAFE_D, "cp437")),
    ("encoding/ibm850_decl.bin",
     doc(decl("IBM850"), "\u00c7a va, Fran\u00e7ois", "\u00c9t\u00e9 \u00e0 l\u2019\u00eele".replace("\u2019", "'"), "cp850")),
    ("encoding/cp866_decl.bin",
     doc(decl("cp866"), RU, RU_D, "cp866")),
    # --- EBCDIC ---------------------------------------------------------------
    ("encoding/ebcdic_cp_us.bin",
     doc(decl("ebcdic-cp-us"), CAFE, CAFE_D, "cp037")),
    ("encoding/ebcdic_ibm500.bin",
     doc(decl("IBM500"), CAFE, CAFE_D, "cp500")),
    # --- CJK -----------------------------------------------------------------
    ("encoding/gb2312_decl.bin",
     doc(decl("gb2312"), "中文标题", "简体中文的描述", "gbk")),
    ("encoding/big5_decl.bin",
     doc(decl("big5"), "中文標題", "繁體中文的描述", "big5")),
    ("encoding/shift_jis_decl.bin",
     doc(decl("Shift_JIS"), "日本語のタイトル", "日本語の説明です", "shift_jis")),
    ("encoding/euc_kr_decl.bin",
     doc(decl("euc-kr"), "한국어 제목", "한국어 설명입니다", "euc-kr")),
    # --- charset only in HTTP --------------------------------------------------
    ("encoding/http_charset_only.bin",
     doc('<?xml version="1.0"?>\n', "\u201cQuoted\u201d \u2013 don\u2019t", CAFE_D, "cp1252")),
    ("encoding/http_charset_only_no_decl.bin",
     doc("", CAFE, CAFE_D, "latin-1")),
    ("encoding/http_charset_overrides_decl.bin",
     doc(decl("utf-8"), CAFE, CAFE_D, "cp1252")),
    ("encoding/http_text_xml_no_charset.xml",
     doc(decl("utf-8"), CAFE, CAFE_D)),
    ("encoding/http_text_html_served_feed.xml",
     doc(decl("utf-8"), CAFE, CAFE_D)),
    # --- invalid bytes --------------------------------------------------------
    ("encoding/utf8_decl_one_invalid_byte.bin",
     (decl("utf-8") +
      '<rss version="2.0">\n<channel>\n<title>Encoding test</title>\n'
      "<link>http://example.com/</link>\n<description>Encoding test feed</description>\n"
      "<item>\n<title>Na\u00efve caf\u00e9</title>\n<link>http://example.com/posts/1</link>\n"
      "<guid>http://example.com/posts/1</guid>\n<description>Valid UTF-8 here</description>\n</item>\n"
      "<item>\n<title>Broken @@ byte</title>\n<link>http://example.com/posts/2</link>\n"
      "<guid>http://example.com/posts/2</guid>\n<description>One Latin-1 byte in the title</description>\n</item>\n"
      "<item>\n<title>\u00dcber alles</title>\n<link>http://example.com/posts/3</link>\n"
      "<guid>http://example.com/posts/3</guid>\n<description>Valid again</description>\n</item>\n"
      "</channel>\n</rss>\n").encode("utf-8").replace(b"@@", b"\xe9")),
    ("encoding/no_decl_one_invalid_byte.bin",
     ('<rss version="2.0">\n<channel>\n<title>Encoding test</title>\n'
      "<link>http://example.com/</link>\n<description>Encoding test feed</description>\n"
      "<item>\n<title>First post</title>\n<link>http://example.com/posts/1</link>\n"
      "<guid>http://example.com/posts/1</guid>\n<description>Ca@@ va</description>\n</item>\n"
      "<item>\n<title>Second post</title>\n<link>http://example.com/posts/2</link>\n"
      "<guid>http://example.com/posts/2</guid>\n<description>All ASCII</description>\n</item>\n"
      "</channel>\n</rss>\n").encode("ascii").replace(b"@@", b"\xe7")),
    ("encoding/utf8_truncated_sequence.bin",
     (decl("utf-8") +
      '<rss version="2.0">\n<channel>\n<title>Encoding test</title>\n'
      "<link>http://example.com/</link>\n<description>Encoding test feed</description>\n"
      "<item>\n<title>Cut @@ here</title>\n<link>http://example.com/posts/1</link>\n"
      "<guid>http://example.com/posts/1</guid>\n</item>\n"
      "<item>\n<title>Fine \u2713</title>\n<link>http://example.com/posts/2</link>\n"
      "<guid>http://example.com/posts/2</guid>\n</item>\n"
      "</channel>\n</rss>\n").encode("utf-8").replace(b"@@", b"\xe2\x80")),
    # --- Windows-1252 punctuation sent as C1 control characters ----------------
    ("encoding/c1_controls_raw_utf8.xml",
     doc(decl("utf-8"), "Don\u0092t \u0093quote\u0094 me", "Wait\u0085 it\u0092s \u0096 fine", "utf-8")),
]


def main():
    for rel, data in FILES:
        path = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    print(f"wrote {len(FILES)} files")


if __name__ == "__main__":
    main()
