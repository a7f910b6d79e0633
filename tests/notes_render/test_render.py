"""render_markdown: normal Markdown renders right, and nothing dangerous survives either layer
(markdown-it with raw HTML off, then the nh3 allow-list)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from markupsafe import Markup

from openspace.domain.render import (
    ALLOWED_TAGS,
    LINK_REL,
    render_inline,
    render_markdown,
    sanitize_html,
)

from .conftest import Elements

SAFE_SCHEMES = {"", "http", "https", "mailto", "tel"}

# Markdown a note could contain. With raw HTML off, HTML is shown as text; links go through
# markdown-it's link validation and then nh3's scheme allow-list.
MARKDOWN_ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body{display:none}</style>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;vascript&colon;alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](vbscript:msgbox(1))",
    "[click](VBScript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![pic](https://tracker.example/pixel.gif)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '[t](https://ok.example "x\\" onmouseover=\\"alert(1)")',
    "[t](https://ok.example 'x\" onmouseover=\"alert(1)')",
    '[t](https://ok.example "a" onclick="alert(1)")',
    '![a" onerror="alert(1)](/photos/1.jpg)',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "- [ ] <input type=text autofocus onfocus=alert(1)>",
    "<div style=\"position:fixed;top:0\">cover</div>",
    "<!-- <script>alert(1)</script> -->",
    "<form action=https://evil.example><button>go</button></form>",
]

# Raw HTML straight into the sanitizer: the second layer must hold on its own.
HTML_ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=javascript:alert(1)>",
    "<img src=https://tracker.example/p.gif>",
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "<iframe src=https://evil.example></iframe>",
    "<object data=https://evil.example/x.swf></object><embed src=x.swf>",
    "<style>@import 'https://evil.example/x.css';</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<td style="text-align:right;position:fixed">x</td>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a href="https://ok.example" onclick="alert(1)" onmouseover=alert(1)>x</a>',
    '<a href="https://ok.example" rel="opener" target="_blank">x</a>',
    '<a title="x" onfocus=alert(1) autofocus>x</a>',
    '<input type="text" onfocus="alert(1)" autofocus>',
    '<input type="image" src="x" onerror="alert(1)">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<details open ontoggle=alert(1)>x</details>',
    '<body onload=alert(1)>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<link rel=stylesheet href=https://evil.example/x.css>',
    '<form action=https://evil.example><button formaction=javascript:alert(1)>x</button></form>',
    '<code class="language-x onload">x</code>',
    '<p id="main" class="alert">spoof</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<template><script>alert(1)</script></template>',
    '<textarea><script>alert(1)</script></textarea>',
]


def assert_harmless(html: str) -> None:
    # Text such as "javascript:alert(1)" shown as text is inert; what matters is the markup.
    assert "<script" not in html.lower()
    for tag, attrs in Elements(html).found:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"id", "target", "formaction", "srcdoc", "autofocus"}, (tag, name)
            if name == "style":
                assert value.startswith("text-align:") and ";" not in value, value
            if name == "class":
                assert tag in {"ul", "ol", "li", "input", "code"}, (tag, value)
            if name in {"href", "src"}:
                assert urlsplit(value.strip()).scheme.lower() in SAFE_SCHEMES, value
            if tag == "img" and name == "src":
                assert value.startswith("/photos/"), value
            if tag == "input" and name == "type":
                assert value == "checkbox"
        if tag == "a":
            assert attrs.get("rel") == LINK_REL
        if tag == "input":
            assert "disabled" in attrs


@pytest.mark.parametrize("source", MARKDOWN_ATTACKS)
def test_render_markdown_lets_nothing_dangerous_through(source):
    html = render_markdown(source)

    assert isinstance(html, Markup)
    assert_harmless(str(html))


@pytest.mark.parametrize("source", HTML_ATTACKS)
def test_sanitize_html_lets_nothing_dangerous_through(source):
    assert_harmless(sanitize_html(source))


def test_raw_html_in_notes_shows_as_text():
    html = render_markdown("Use <b>bold</b> and <script>alert(1)</script>")

    assert html == ("<p>Use &lt;b&gt;bold&lt;/b&gt; and "
                    "&lt;script&gt;alert(1)&lt;/script&gt;</p>\n")


def test_link_title_cannot_add_attributes():
    html = render_markdown('[t](https://ok.example "x\\" onmouseover=\\"alert(1)")')

    assert Elements(html).attrs("a") == [{
        "href": "https://ok.example", "title": 'x" onmouseover="alert(1)', "rel": LINK_REL}]


def test_sanitizer_keeps_table_alignment_and_drops_other_style():
    html = sanitize_html('<table><tr><td style="text-align:right;position:fixed">1</td></tr>'
                         "</table>")

    assert html == '<table><tbody><tr><td style="text-align:right">1</td></tr></tbody></table>'


def test_headings_paragraphs_emphasis_and_code_render():
    html = render_markdown("# Key points\n\n## Next\n\nSome **bold**, *em*, ~~gone~~ and "
                           "`x = 1`.\n\n```python\nprint('hi')\n```\n\n> quoted")

    assert html == (
        "<h1>Key points</h1>\n<h2>Next</h2>\n"
        "<p>Some <strong>bold</strong>, <em>em</em>, <s>gone</s> and <code>x = 1</code>.</p>\n"
        '<pre><code class="language-python">print(\'hi\')\n</code></pre>\n'
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
    )


def test_lists_and_task_lists_render_with_read_only_checkboxes():
    html = render_markdown("- one\n- two\n\n3. three\n\n- [ ] open task @anna\n- [x] done task")

    assert html == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        '<ol start="3">\n<li>three</li>\n</ol>\n'
        '<ul class="contains-task-list">\n'
        '<li class="task-list-item"><label><input class="task-list-item-checkbox" '
        'type="checkbox" disabled="disabled"> open task @anna</label></li>\n'
        '<li class="task-list-item"><label><input class="task-list-item-checkbox" '
        'checked="checked" type="checkbox" disabled="disabled"> done task</label></li>\n</ul>\n'
    )


def test_links_keep_safe_targets_and_get_rel():
    html = render_markdown("[site](https://drupal.org/x?a=1&b=2) [mail](mailto:a@b.org) "
                           "[topic](/t/5) <https://auto.example>")

    assert Elements(html).attrs("a") == [
        {"href": "https://drupal.org/x?a=1&b=2", "rel": LINK_REL},
        {"href": "mailto:a@b.org", "rel": LINK_REL},
        {"href": "/t/5", "rel": LINK_REL},
        {"href": "https://auto.example", "rel": LINK_REL},
    ]


def test_tables_render():
    html = render_markdown("| Who | Votes |\n|:--|--:|\n| Ann | 3 |")

    assert html == (
        "<table>\n<thead>\n<tr>\n<th style=\"text-align:left\">Who</th>\n"
        "<th style=\"text-align:right\">Votes</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
        "<td style=\"text-align:left\">Ann</td>\n<td style=\"text-align:right\">3</td>\n"
        "</tr>\n</tbody>\n</table>\n"
    )


def test_own_photos_show_and_other_images_become_links():
    html = render_markdown("![flipchart](/photos/12.jpg) ![thumb](/photos/12/thumb.jpg) "
                           "![logo](https://cdn.example/logo.png)")

    found = Elements(html)
    assert found.attrs("img") == [
        {"src": "/photos/12.jpg", "alt": "flipchart", "loading": "lazy"},
        {"src": "/photos/12/thumb.jpg", "alt": "thumb", "loading": "lazy"},
    ]
    assert found.attrs("a") == [{"href": "https://cdn.example/logo.png", "rel": LINK_REL}]
    assert ">logo</a>" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == Markup("")
    assert render_markdown(None) == Markup("")


def test_render_inline_has_no_paragraph():
    html = render_inline("Call **Ann** <b>x</b>")

    assert html == "Call <strong>Ann</strong> &lt;b&gt;x&lt;/b&gt;"
