//! Items from a (repaired) XML feed: RSS 0.90 to 2.x in any of their namespaces, RSS 1.0 (RDF),
//! Atom 0.3 and 1.0, read from a roxmltree document. Each field is looked for where the formats and
//! their common extensions put it (Dublin Core, `content:`, `media:`, `itunes:`, `xhtml:`), in the
//! order the corpus README gives, and made absolute against `xml:base`, `Content-Location` or the
//! feed's URL.

use super::super::dates;
use crate::model::{Engagement, NewMention};
use crate::text;
use roxmltree::{Document, Node};
use url::Url;

/// What a namespace is, for the lookups: one of the core feed vocabularies, or an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// RSS (any version, any of its namespaces or none), RDF's RSS 1.0, Atom 0.3 or 1.0.
    Core,
    Dc,
    Content,
    Media,
    Itunes,
    Xhtml,
    Rdf,
    Other,
}

fn ns_of(n: Node<'_, '_>) -> Ns {
    match n.tag_name().namespace() {
        None => Ns::Core,
        Some(u) => match u {
            "http://purl.org/dc/elements/1.1/" | "http://purl.org/dc/terms/" => Ns::Dc,
            "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
            "http://search.yahoo.com/mrss/" | "http://search.yahoo.com/mrss" => Ns::Media,
            "http://www.itunes.com/dtds/podcast-1.0.dtd" => Ns::Itunes,
            "http://www.w3.org/1999/xhtml" => Ns::Xhtml,
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => Ns::Rdf,
            u if u.contains("purl.org/rss")
                || u.contains("netscape.com/rdf")
                || u.contains("backend.userland.com")
                || u.contains("blogs.law.harvard.edu")
                || u.contains("w3.org/2005/Atom")
                || u.contains("purl.org/atom") =>
            {
                Ns::Core
            }
            _ => Ns::Other,
        },
    }
}

/// The first child element `ns:name` of `n`.
fn child<'a, 'i>(n: Node<'a, 'i>, ns: Ns, name: &str) -> Option<Node<'a, 'i>> {
    children(n, ns, name).next()
}

fn children<'a, 'i>(n: Node<'a, 'i>, ns: Ns, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name) && ns_of(*c) == ns)
}

/// All the text inside an element, trimmed; `None` when empty.
fn text_of(n: Node<'_, '_>) -> Option<String> {
    let t: String = n
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The markup inside an element, as written in the repaired document (for XHTML content).
fn inner_markup(n: Node<'_, '_>, xml: &str) -> String {
    let (Some(first), Some(last)) = (n.first_child(), n.last_child()) else {
        return String::new();
    };
    xml.get(first.range().start..last.range().end).unwrap_or("").to_string()
}

/// The kind of document, from its root element.
pub enum Format {
    Rss,
    Atom,
}

/// What the root says the document is; `None` when it is no feed.
pub fn format(doc: &Document<'_>) -> Option<Format> {
    let root = doc.root_element();
    let name = root.tag_name().name().to_ascii_lowercase();
    match name.as_str() {
        "rss" | "rdf" | "channel" => Some(Format::Rss),
        "feed" | "entry" => Some(Format::Atom),
        _ => None,
    }
}

/// Every item of the document; how many item elements gave nothing; how many were cut off by a
/// document that ends early (after `truncated_at` in `xml`: not stored half).
pub fn items(
    doc: &Document<'_>,
    xml: &str,
    base: &Url,
    truncated_at: Option<usize>,
) -> (Vec<NewMention>, usize, usize) {
    let root = doc.root_element();
    let format = format(doc);
    let item_name = match format {
        Some(Format::Atom) => "entry",
        _ => "item",
    };
    let mut out = Vec::new();
    let mut empty = 0;
    let mut cut = 0;
    let candidates: Vec<Node<'_, '_>> = if root.tag_name().name() == "entry" {
        vec![root]
    } else {
        root.descendants()
            .filter(|n| {
                n.is_element()
                    && n.tag_name().name().eq_ignore_ascii_case(item_name)
                    && ns_of(*n) == Ns::Core
                    && !n
                        .ancestors()
                        .skip(1)
                        .any(|a| a.is_element() && a.tag_name().name().eq_ignore_ascii_case(item_name))
            })
            .collect()
    };
    // The feed's own author, looked up once (per item it would scan every item: quadratic).
    let feed_author = match format {
        Some(Format::Atom) => child(root, Ns::Core, "author").and_then(atom_person),
        _ => {
            let channel = child(root, Ns::Core, "channel").unwrap_or(root);
            child(channel, Ns::Itunes, "author")
                .and_then(text_of)
                .and_then(|a| person(&a))
                .or_else(|| {
                    child(channel, Ns::Dc, "creator")
                        .and_then(text_of)
                        .and_then(|a| person(&a))
                })
        }
    };
    let feed_lang = lang_of(root).or_else(|| child(root, Ns::Core, "channel").and_then(lang_of));
    for n in candidates {
        if truncated_at.is_some_and(|t| n.range().end > t) {
            cut += 1;
            continue;
        }
        let mut m = match format {
            Some(Format::Atom) => atom_entry(n, feed_author.as_deref(), xml, base),
            _ => rss_item(n, feed_author.as_deref(), xml, base),
        };
        m.lang = lang_of(n).or_else(|| feed_lang.clone());
        if m.title.is_none() && m.url.is_none() && m.text.trim().is_empty() {
            empty += 1;
        } else {
            out.push(m);
        }
    }
    (out, empty, cut)
}

/// The base URI in effect at `n`: `xml:base` on it or its ancestors, resolved outwards.
fn base_at(n: Node<'_, '_>, outer: &Url) -> Url {
    let bases: Vec<&str> = n
        .ancestors()
        .filter_map(|a| a.attribute(("http://www.w3.org/XML/1998/namespace", "base")))
        .collect();
    let mut base = outer.clone();
    for b in bases.iter().rev() {
        if let Ok(u) = base.join(b.trim()) {
            base = u;
        }
    }
    base
}

fn absolute(href: &str, base: &Url) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let u = base.join(href).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| text::unwrap_redirect(u.as_str()))
}

/// A person as RSS writes one: `email (Name)`, `Name <email>`, a name, or a bare email; HTML
/// entities in it decoded.
fn person(raw: &str) -> Option<String> {
    let raw = if raw.contains('&') {
        text::strip_tags_inline(raw)
    } else {
        raw.to_string()
    };
    let raw = text::sanitize_line(&raw);
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        let name = raw[open + 1..raw.len() - 1].trim();
        if !name.is_empty() {
            return Some(name.to_string());
        }
    }
    if let (Some(lt), true) = (raw.find('<'), raw.ends_with('>')) {
        let name = raw[..lt].trim().trim_matches('"');
        if !name.is_empty() {
            return Some(name.to_string());
        }
        return Some(raw[lt + 1..raw.len() - 1].trim().to_string());
    }
    Some(raw.trim_start_matches("/u/").to_string())
}

/// The first date among `names` (in order) that is a date.
fn first_date(n: Node<'_, '_>, names: &[(Ns, &str)]) -> Option<chrono::DateTime<chrono::Utc>> {
    names
        .iter()
        .flat_map(|(ns, name)| children(n, *ns, name))
        .find_map(|c| text_of(c).and_then(|t| dates::parse(&t)))
}

fn html_line(s: &str) -> Option<String> {
    let t = text::strip_tags_inline(s);
    let t = text::collapse_whitespace(&t);
    (!t.is_empty()).then_some(t)
}

fn plain_line(s: &str) -> Option<String> {
    let t = text::collapse_whitespace(s);
    (!t.is_empty()).then_some(t)
}

/// The language an element declares: RSS's `<language>`, Dublin Core's `<dc:language>` or an
/// `xml:lang` attribute.
fn lang_of(n: Node<'_, '_>) -> Option<String> {
    n.attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
        .map(str::to_string)
        .or_else(|| child(n, Ns::Core, "language").and_then(text_of))
        .or_else(|| child(n, Ns::Dc, "language").and_then(text_of))
        .filter(|l| !l.trim().is_empty())
}

fn rss_item(n: Node<'_, '_>, feed_author: Option<&str>, xml: &str, outer: &Url) -> NewMention {
    let base = base_at(n, outer);
    let title = child(n, Ns::Core, "title")
        .and_then(text_of)
        .and_then(|t| html_line(&t))
        .or_else(|| child(n, Ns::Dc, "title").and_then(text_of).and_then(|t| plain_line(&t)))
        .or_else(|| {
            child(n, Ns::Media, "title")
                .and_then(text_of)
                .and_then(|t| plain_line(&t))
        });
    let guid = child(n, Ns::Core, "guid");
    let guid_text = guid.and_then(text_of);
    let about = n.attribute(("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "about"));
    let link = child(n, Ns::Core, "link")
        .and_then(|l| text_of(l).or_else(|| l.attribute("href").map(str::to_string)))
        .and_then(|l| absolute(&l, &base))
        .or_else(|| {
            let permalink = guid.is_some_and(|g| {
                !g.attribute("isPermaLink")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
            });
            guid_text
                .as_deref()
                .filter(|g| permalink && (g.starts_with("http://") || g.starts_with("https://")))
                .and_then(|g| absolute(g, &base))
        })
        .or_else(|| about.and_then(|a| absolute(a, &base)));
    let author = child(n, Ns::Core, "author")
        .and_then(text_of)
        .and_then(|a| person(&a))
        .or_else(|| child(n, Ns::Dc, "creator").and_then(text_of).and_then(|a| person(&a)))
        .or_else(|| child(n, Ns::Dc, "author").and_then(text_of).and_then(|a| person(&a)))
        .or_else(|| {
            child(n, Ns::Itunes, "author")
                .and_then(text_of)
                .and_then(|a| person(&a))
        })
        .or_else(|| feed_author.map(str::to_string));
    let published = first_date(
        n,
        &[
            (Ns::Core, "pubDate"),
            (Ns::Dc, "date"),
            (Ns::Dc, "issued"),
            (Ns::Dc, "created"),
            (Ns::Core, "published"),
        ],
    )
    .or_else(|| first_date(n, &[(Ns::Dc, "modified"), (Ns::Core, "updated")]));
    let text = rss_body(n, xml);
    NewMention {
        place: Default::default(),
        facts: None,
        lang: None,
        external_id: guid_text.or_else(|| about.map(str::to_string)),
        url: link,
        author,
        author_ref: None,
        author_name: None,
        author_reach: None,
        title,
        text,
        published_at: published,
        engagement: media_engagement(n),
    }
}

fn rss_body(n: Node<'_, '_>, xml: &str) -> String {
    let from_html = |c: Option<Node<'_, '_>>| {
        c.and_then(text_of)
            .map(|t| text::html_to_text(&t))
            .filter(|t| !t.trim().is_empty())
    };
    from_html(child(n, Ns::Core, "description"))
        .or_else(|| from_html(child(n, Ns::Content, "encoded")))
        .or_else(|| {
            child(n, Ns::Xhtml, "body")
                .map(|b| text::html_to_text(&inner_markup(b, xml)))
                .filter(|t| !t.trim().is_empty())
        })
        .or_else(|| from_html(child(n, Ns::Dc, "description")))
        .or_else(|| child(n, Ns::Itunes, "summary").and_then(text_of))
        .or_else(|| media_description(n))
        .or_else(|| {
            child(n, Ns::Core, "summary")
                .map(|s| text_construct(s, xml))
                .filter(|t| !t.is_empty())
        })
        .or_else(|| {
            child(n, Ns::Core, "content")
                .map(|s| text_construct(s, xml))
                .filter(|t| !t.is_empty())
        })
        .unwrap_or_default()
}

fn media_description(n: Node<'_, '_>) -> Option<String> {
    child(n, Ns::Media, "description")
        .or_else(|| child(n, Ns::Media, "group").and_then(|g| child(g, Ns::Media, "description")))
        .and_then(text_of)
}

fn media_engagement(n: Node<'_, '_>) -> Engagement {
    let community = child(n, Ns::Media, "community")
        .or_else(|| child(n, Ns::Media, "group").and_then(|g| child(g, Ns::Media, "community")));
    let num = |c: Option<Node<'_, '_>>, attr: &str| {
        c.and_then(|c| c.attribute(attr))
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    Engagement {
        views: num(community.and_then(|c| child(c, Ns::Media, "statistics")), "views"),
        likes: num(community.and_then(|c| child(c, Ns::Media, "starRating")), "count"),
        ..Default::default()
    }
}

/// An Atom text construct (1.0 `type`, 0.3 `mode`) as plain text.
fn text_construct(n: Node<'_, '_>, xml: &str) -> String {
    let kind = n.attribute("type").unwrap_or("text").trim().to_ascii_lowercase();
    let mode = n.attribute("mode").unwrap_or("").trim().to_ascii_lowercase();
    if mode == "base64" || kind.ends_with(";base64") {
        let raw = text_of(n).unwrap_or_default();
        let clean: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        use base64::Engine;
        return base64::engine::general_purpose::STANDARD
            .decode(clean)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map(|t| {
                if kind.contains("html") {
                    text::html_to_text(&t)
                } else {
                    t
                }
            })
            .unwrap_or_default();
    }
    match kind.as_str() {
        "xhtml" | "application/xhtml+xml" => text::html_to_text(&inner_markup(n, xml)),
        "html" | "text/html" => text::html_to_text(&text_of(n).unwrap_or_default()),
        _ if mode == "escaped" => text::html_to_text(&text_of(n).unwrap_or_default()),
        _ if mode == "xml" || kind.ends_with("xml") => text::html_to_text(&inner_markup(n, xml)),
        "text" | "" | "text/plain" => text_of(n).unwrap_or_default(),
        k if k.starts_with("text/") => text_of(n).unwrap_or_default(),
        // Another media type (an image, a PDF): nothing to show as text.
        _ => String::new(),
    }
}

fn text_construct_line(n: Node<'_, '_>, xml: &str) -> Option<String> {
    plain_line(&text_construct(n, xml))
}

fn atom_person(n: Node<'_, '_>) -> Option<String> {
    child(n, Ns::Core, "name")
        .and_then(text_of)
        .or_else(|| child(n, Ns::Core, "email").and_then(text_of))
        .or_else(|| text_of(n))
        .and_then(|s| plain_line(s.trim_start_matches("/u/")))
}

fn atom_entry(n: Node<'_, '_>, feed_author: Option<&str>, xml: &str, outer: &Url) -> NewMention {
    let base = base_at(n, outer);
    let title = child(n, Ns::Core, "title")
        .and_then(|t| text_construct_line(t, xml))
        .or_else(|| {
            child(n, Ns::Media, "title")
                .and_then(text_of)
                .and_then(|t| plain_line(&t))
        })
        .or_else(|| {
            child(n, Ns::Media, "group")
                .and_then(|g| child(g, Ns::Media, "title"))
                .and_then(text_of)
                .and_then(|t| plain_line(&t))
        });
    let links: Vec<Node<'_, '_>> = children(n, Ns::Core, "link").collect();
    let link = links
        .iter()
        .find(|l| l.attribute("rel").is_none_or(|r| r.trim() == "alternate"))
        .and_then(|l| l.attribute("href").and_then(|h| absolute(h, &base_at(*l, outer))))
        .or_else(|| {
            child(n, Ns::Core, "link")
                .and_then(text_of)
                .and_then(|h| absolute(&h, &base))
        });
    let author = child(n, Ns::Core, "author")
        .and_then(atom_person)
        .or_else(|| child(n, Ns::Dc, "creator").and_then(text_of).and_then(|a| person(&a)))
        .or_else(|| {
            child(n, Ns::Core, "source")
                .and_then(|s| child(s, Ns::Core, "author"))
                .and_then(atom_person)
        })
        .or_else(|| feed_author.map(str::to_string));
    let published = first_date(
        n,
        &[
            (Ns::Core, "published"),
            (Ns::Core, "issued"),
            (Ns::Core, "created"),
            (Ns::Dc, "date"),
            (Ns::Dc, "issued"),
        ],
    )
    .or_else(|| {
        first_date(
            n,
            &[(Ns::Core, "updated"), (Ns::Core, "modified"), (Ns::Dc, "modified")],
        )
    });
    let text = child(n, Ns::Core, "summary")
        .map(|s| text_construct(s, xml))
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            child(n, Ns::Core, "content")
                .map(|s| text_construct(s, xml))
                .filter(|t| !t.trim().is_empty())
        })
        .or_else(|| media_description(n))
        .unwrap_or_default();
    let engagement = {
        let group = child(n, Ns::Media, "group");
        let mut e = media_engagement(n);
        if e.is_empty()
            && let Some(g) = group
        {
            e = media_engagement(g);
        }
        e
    };
    NewMention {
        external_id: child(n, Ns::Core, "id").and_then(text_of),
        url: link,
        author,
        author_reach: None,
        title,
        text,
        published_at: published,
        engagement,
        ..Default::default()
    }
}
