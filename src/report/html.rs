//! A small builder for self-contained HTML pages: escaped text, inline CSS
//! (a readable column on screen, A4/Letter friendly in print), tables, and
//! figures as inline `<svg>`. No scripts and no external resources: a page
//! opens offline and prints to PDF from any browser.

use std::fmt::Write as _;

/// Escapes `text` for HTML element content and double-quoted attributes.
///
/// ```
/// assert_eq!(liftlab::report::html::escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's style sheet: a max-width column, figures scaled to it, and
/// print rules (A4 or Letter margins, no figure or table split across pages).
pub const CSS: &str = r#"
:root { --ink: #1d2330; --muted: #5a6272; --rule: #d8dce3; --accent: #1f5ab4; --warn: #b0451f; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f6f8; color: var(--ink);
  font: 16px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 2.5rem 3rem; background: #fff; }
h1 { font-size: 1.7rem; line-height: 1.2; margin: 0 0 .2rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-top: .6rem; border-top: 1px solid var(--rule); }
p { margin: .5rem 0; }
.subtitle { color: var(--muted); margin: 0 0 1.2rem; }
.verdict { border-left: 6px solid var(--warn); background: #fbf3ef; padding: .8rem 1.1rem; margin: 1rem 0 1.4rem;
  font-size: 1.08rem; }
.verdict p { margin: .35rem 0; }
.note { color: var(--muted); font-size: .9rem; }
figure { margin: 1.2rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .4rem; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0; font-size: .92rem; break-inside: avoid;
  page-break-inside: avoid; }
caption { text-align: left; color: var(--muted); font-size: .9rem; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tr.mark td { background: #fff4cc; font-weight: 600; }
ol.commands li { margin: .4rem 0; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .82rem; }
code.cmd { display: block; white-space: pre-wrap; overflow-wrap: anywhere; background: #f2f4f7; padding: .3rem .5rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f2f4f7; padding: .5rem; }
@page { size: auto; margin: 14mm 12mm; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure svg { border: none; max-height: 120mm; }
  .verdict { background: none; }
  details > pre { display: none; }
}
"#;

/// A page under construction: a title, a subtitle and a body built from
/// escaped pieces. [`HtmlPage::render`] wraps it in a complete document.
#[derive(Debug, Clone, Default)]
pub struct HtmlPage {
    title: String,
    subtitle: String,
    body: String,
}

impl HtmlPage {
    /// A page with a title (the `<title>` and the `<h1>`) and a subtitle.
    pub fn new(title: &str, subtitle: &str) -> Self {
        Self { title: title.into(), subtitle: subtitle.into(), body: String::new() }
    }

    /// A boxed verdict: one paragraph per sentence group, escaped.
    pub fn verdict(&mut self, paragraphs: &[String]) {
        self.body.push_str("<section class=\"verdict\" id=\"verdict\">\n");
        for p in paragraphs {
            let _ = writeln!(self.body, "<p>{}</p>", escape(p));
        }
        self.body.push_str("</section>\n");
    }

    /// A section heading (`<h2>`) with an anchor id.
    pub fn heading(&mut self, id: &str, text: &str) {
        let _ = writeln!(self.body, "<h2 id=\"{}\">{}</h2>", escape(id), escape(text));
    }

    /// A paragraph of plain text, escaped.
    pub fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
    }

    /// A smaller, muted paragraph, escaped.
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
    }

    /// A table: a caption, a header row and body rows, every cell escaped.
    /// Columns whose index is in `numeric` are right-aligned; rows whose
    /// index is in `marked` are highlighted.
    pub fn table(&mut self, caption: &str, header: &[&str], rows: &[Vec<String>], numeric: &[usize], marked: &[usize]) {
        let class = |j: usize| if numeric.contains(&j) { " class=\"num\"" } else { "" };
        let _ = writeln!(self.body, "<table>\n<caption>{}</caption>\n<thead><tr>", escape(caption));
        for (j, h) in header.iter().enumerate() {
            let _ = write!(self.body, "<th{}>{}</th>", class(j), escape(h));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for (i, row) in rows.iter().enumerate() {
            self.body.push_str(if marked.contains(&i) { "<tr class=\"mark\">" } else { "<tr>" });
            for (j, cell) in row.iter().enumerate() {
                let _ = write!(self.body, "<td{}>{}</td>", class(j), escape(cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody>\n</table>\n");
    }

    /// A figure: an inline SVG document (as written by plotters'
    /// `SVGBackend::with_string`, with a `viewBox`) and its caption,
    /// escaped. The SVG is the crate's own output, inserted as is, minus
    /// any XML declaration.
    pub fn figure(&mut self, id: &str, svg: &str, caption: &str) {
        let svg = svg.trim_start();
        let svg = match svg.strip_prefix("<?xml") {
            Some(rest) => rest.split_once("?>").map_or(svg, |(_, s)| s.trim_start()),
            None => svg,
        };
        let _ = writeln!(
            self.body,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            escape(id),
            svg.trim_end(),
            escape(caption)
        );
    }

    /// A numbered list of shell commands, each with a label saying what it
    /// reproduces.
    pub fn commands(&mut self, items: &[(String, String)]) {
        self.body.push_str("<ol class=\"commands\">\n");
        for (label, command) in items {
            let _ = writeln!(self.body, "<li>{}<code class=\"cmd\">{}</code></li>", escape(label), escape(command));
        }
        self.body.push_str("</ol>\n");
    }

    /// A collapsible preformatted block (collapsed by default, hidden in
    /// print): long inputs such as a store profile.
    pub fn details(&mut self, summary: &str, text: &str) {
        let _ =
            writeln!(self.body, "<details><summary>{}</summary><pre>{}</pre></details>", escape(summary), escape(text));
    }

    /// The complete document: doctype, `<head>` with the inline style sheet,
    /// the `<h1>`, the subtitle and the body.
    pub fn render(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
             <h1>{title}</h1>\n<p class=\"subtitle\">{subtitle}</p>\n{body}</main>\n</body>\n</html>\n",
            title = escape(&self.title),
            subtitle = escape(&self.subtitle),
            body = self.body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere() {
        let mut page = HtmlPage::new("A <b>", "x & y");
        page.verdict(&["<script>alert(1)</script>".into()]);
        page.heading("h", "\"quoted\"");
        page.paragraph("1 < 2");
        page.table("c<", &["h>"], &[vec!["<td>".into()]], &[0], &[0]);
        page.commands(&[("l&".into(), "liftlab --x '<y>'".into())]);
        page.details("s", "</pre>");
        let html = page.render();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>") && !html.contains("<td><td>") && !html.contains("</pre></pre>"));
        assert!(html.contains("A &lt;b&gt;") && html.contains("1 &lt; 2") && html.contains("&#39;&lt;y&gt;&#39;"));
        assert!(html.contains("<tr class=\"mark\"><td class=\"num\">&lt;td&gt;</td></tr>"));
    }

    #[test]
    fn figures_embed_svg_without_xml_declaration() {
        let mut page = HtmlPage::new("t", "s");
        let svg = "<?xml version=\"1.0\"?>\n<svg viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\"></svg>";
        page.figure("f", svg, "caption <i>");
        let html = page.render();
        assert!(html.contains("<figure id=\"f\">\n<svg viewBox"), "{html}");
        assert!(!html.contains("<?xml"));
        assert!(html.contains("<figcaption>caption &lt;i&gt;</figcaption>"));
        assert!(html.contains("@media print"));
    }
}
