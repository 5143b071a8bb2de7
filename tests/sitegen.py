"""Generate a news site of a few hundred articles in a folder, for the `news` spider's tests.

The site mixes what real sites do: sections paginated with rel=next and "Suivant" links, tag and
author pages that list teasers (each an <article> with a date), an about page with long text,
three article URL shapes (dated, id-slug, long slug), three kinds of article markup (JSON-LD,
OpenGraph only, a bare dated <article>), a feed of the newest twenty declared on the home page,
and robots.txt naming a sitemap that lists articles, sections and tag pages alike.

With `traps=True` (issue 13) every article also links copies of itself that a fixed parameter
list does not catch: WordPress comment-reply links (`?replytocom=N`), share links
(`?share=twitter&nb=1`), a print view (`?print=1`), an AMP copy (`<path>amp/`, for paths ending
in a slash) and related links carrying an unknown parameter (`?src_ctx=related`); every copy
declares rel=canonical to the clean article URL (the server ignores query strings); every listing
has a "most read" box of `?src_ctx=plus-lus` links; and listing teasers carry WordPress-style
excerpts, so that a home or section page has dated text as an
article does.

A season of cron runs (issue 23) regenerates the same site, grown and edited, into the same
folder: `start` dates the base articles (the newest at `start`, then one every 3 hours), `added`
publishes more articles after them (one per date, numbered on from `count`: the base articles
keep their paths and bytes), and `edited` maps article paths to the time of an edit (a corrected
first paragraph, `dateModified` / `article:modified_time`, and that date as the sitemap lastmod).
"""

from __future__ import annotations

import datetime as dt
import html
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SECTIONS = ("tech", "jeux", "science", "mobile")
TAGS = ("ia", "apple", "android", "cybersecurite", "espace", "consoles", "fibre", "open-source")
AUTHORS = ("claire-martin", "jean-dupont", "sophie-bernard", "lucas-moreau")
WORDS = ("nouveau", "telephone", "mise", "jour", "securite", "console", "reseau", "satellite",
         "prix", "lancement", "test", "donnees", "faille", "ecran", "batterie", "serveur")
PER_PAGE = 15


@dataclass
class GenArticle:
    path: str
    title: str
    section: str
    published: dt.datetime
    tags: tuple[str, ...]
    author: str
    markup: str


def _paragraphs(title: str, rng: random.Random) -> list[str]:
    sentences = [
        f"{title} : les détails de l’annonce ont été confirmés mardi par plusieurs sources.",
        "Le calendrier prévoit un déploiement progressif, d’abord en France puis dans le reste de l’Europe.",
        "Les spécialistes interrogés saluent une avancée réelle, tout en restant prudents sur le prix final.",
        "Plusieurs concurrents devraient réagir dans les prochaines semaines avec des offres comparables.",
        "La rédaction reviendra sur le sujet dès que les premiers exemplaires seront disponibles en test.",
    ]
    rng.shuffle(sentences)
    return [" ".join(sentences[i:i + 2]) + " " + " ".join(rng.sample(WORDS, 6)) + "."
            for i in range(0, 5, 2)]


def _page(title: str, body: str, head: str = "") -> str:
    nav = " ".join(f'<a href="/{s}/">{s}</a>' for s in SECTIONS)
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}'
            f"</title>{head}</head><body><header><a href=\"/\">GenNews</a><nav>{nav} "
            '<a href="/a-propos/">À propos</a> <a href="/connexion/">Connexion</a> '
            '<a href="/recherche/?q=">Recherche</a></nav></header>'
            f"<main>{body}</main><footer><a href=\"/mentions-legales/\">Mentions légales</a>"
            "</footer></body></html>\n")


def _teaser(article: GenArticle, *, excerpt: bool = False,
            updated: dt.datetime | None = None) -> str:
    # WordPress themes print a 55-word excerpt per teaser: dated text in <p>, as an article has
    summary = (f"{article.title} : les détails de l’annonce ont été confirmés mardi par plusieurs "
               "sources, et le calendrier prévoit un déploiement progressif en Europe […]"
               if excerpt else "Résumé court.")
    return (f'<article class="teaser"><h2><a href="{article.path}">{html.escape(article.title)}</a>'
            f'</h2><time datetime="{article.published.isoformat()}">{article.published:%d/%m/%Y}'
            f"</time>{_updated(updated)}<p>{summary}</p></article>")


def _updated(updated: dt.datetime | None) -> str:
    # a theme that prints the last edit's date in its teasers (issue 23: a listing's date)
    return (f'<time class="updated" datetime="{updated.isoformat()}">mis à jour le '
            f"{updated:%d/%m/%Y}</time>" if updated else "")


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _traps(article: GenArticle, number: int) -> str:
    replies = "".join(
        f'<li class="comment"><p>Commentaire {k}</p><a class="comment-reply-link" rel="nofollow" '
        f'href="{article.path}?replytocom={number * 10 + k}#respond">Répondre</a></li>'
        for k in range(3))
    amp = f' <a href="{article.path}amp/">AMP</a>' if article.path.endswith("/") else ""
    return (f'<p class="share"><a href="{article.path}?share=twitter&amp;nb=1">X</a> '
            f'<a href="{article.path}?share=facebook&amp;nb=1">Facebook</a> '
            f'<a href="{article.path}?print=1">Imprimer</a>{amp}</p>'
            f'<section id="comments"><ol>{replies}</ol></section>')


def _new_article(n: int, published: dt.datetime, rng: random.Random) -> GenArticle:
    words = rng.sample(WORDS, 5)
    title = " ".join(words).capitalize() + f" ({n})"
    section = SECTIONS[n % len(SECTIONS)]
    slug = "-".join(words) + f"-{n}"
    path = (f"/{published:%Y/%m/%d}/{slug}/", f"/{section}/{100000 + n}-{slug}.html",
            f"/articles/{slug}/")[n % 3]
    return GenArticle(path, title, section, published, tuple(rng.sample(TAGS, 2)),
                      AUTHORS[n % len(AUTHORS)], ("jsonld", "opengraph", "bare")[(n // 3) % 3])


def generate(root: Path, count: int = 300, seed: int = 7, *, traps: bool = False,
             start: dt.datetime | None = None, added: Sequence[dt.datetime] = (),
             edited: Mapping[str, dt.datetime] | None = None,
             updated_teasers: bool = False) -> list[GenArticle]:
    """Write the site under `root`; return its articles, newest first. `updated_teasers`: the
    listings' teasers of edited articles show the edit's date too."""
    rng = random.Random(seed)
    start = start or dt.datetime(2023, 11, 22, 18, 0, tzinfo=dt.UTC)
    edited = edited or {}
    articles: list[GenArticle] = []
    for n in range(count):
        words = rng.sample(WORDS, 5)
        title = " ".join(words).capitalize() + f" ({n})"
        published = start - dt.timedelta(hours=3 * n)
        section = SECTIONS[n % len(SECTIONS)]
        slug = "-".join(words) + f"-{n}"
        shape = n % 3
        if shape == 0:
            path = f"/{published:%Y/%m/%d}/{slug}/"
        elif shape == 1:
            path = f"/{section}/{100000 + n}-{slug}.html"
        else:
            path = f"/articles/{slug}/"
        articles.append(GenArticle(path, title, section, published,
                                   tuple(rng.sample(TAGS, 2)), AUTHORS[n % len(AUTHORS)],
                                   ("jsonld", "opengraph", "bare")[(n // 3) % 3]))
    # Added articles draw from their own generator, after the base ones have drawn theirs: the
    # base articles stay byte for byte the same however the site grows.
    extra = [_new_article(count + k, published, random.Random(f"{seed}-{count + k}"))
             for k, published in enumerate(added)]
    base = articles
    for i, article in enumerate([*base, *extra]):
        related = [base[(i + k) % count] for k in (1, 7, 31)]
        head = f'<link rel="canonical" href="{article.path}">'
        modified = edited.get(article.path)
        if article.markup == "jsonld":
            updated = f',"dateModified":"{modified.isoformat()}"' if modified else ""
            head += ('<script type="application/ld+json">{"@context":"https://schema.org",'
                     f'"@type":"NewsArticle","headline":"{article.title}",'
                     f'"datePublished":"{article.published.isoformat()}"{updated}}}</script>')
        elif article.markup == "opengraph":
            head += ('<meta property="og:type" content="article">'
                     f'<meta property="article:published_time" content="{article.published.isoformat()}">')
            if modified:
                head += f'<meta property="article:modified_time" content="{modified.isoformat()}">'
        paragraphs = _paragraphs(article.title, rng if i < count else random.Random(article.title))
        if modified:
            paragraphs[0] = f"Mise à jour du {modified:%d/%m/%Y %H:%M} : {paragraphs[0]}"
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        links = " ".join(f'<a href="/tag/{t}/">{t}</a>' for t in article.tags)
        query = "?src_ctx=related" if traps else ""
        rel = "".join(f'<li><a href="{r.path}{query}">{html.escape(r.title)}</a></li>'
                      for r in related)
        _write(root, article.path, _page(article.title, (
            f'<article><h1>{html.escape(article.title)}</h1><p class="byline">'
            f'<a href="/auteur/{article.author}/">{article.author}</a> '
            f'<time datetime="{article.published.isoformat()}">{article.published:%d/%m/%Y %H:%M}</time>'
            f'</p><div class="content">{body}</div><p class="tags">{links}</p></article>'
            f'{_traps(article, i) if traps else ""}'
            f'<aside><h2>À lire aussi</h2><ul>{rel}</ul></aside>'), head))
        if traps and article.path.endswith("/"):
            _write(root, article.path + "amp/", _page(article.title, (
                f"<article><h1>{html.escape(article.title)}</h1>{body}</article>"), head))
    articles = sorted([*base, *extra], key=lambda a: a.published, reverse=True)

    def teaser(article: GenArticle) -> str:
        return _teaser(article, excerpt=traps,
                       updated=edited.get(article.path) if updated_teasers else None)

    # Themes that print og:type=article on every page (assumed, a common misconfiguration):
    # the listings then look like articles to markup alone.
    stamp = '<meta property="og:type" content="article">' if traps else ""

    # The "most read" box of every listing, with a parameter no fixed list knows (traps only):
    # what a catalogue spider whose patterns let a query through meets.
    most_read = ("<aside><h2>Les plus lus</h2><ul>" + "".join(
        f'<li><a href="{a.path}?src_ctx=plus-lus">{html.escape(a.title)}</a></li>'
        for a in articles[:6]) + "</ul></aside>") if traps else ""

    def listing(path: str, title: str, items: list[GenArticle], head: str = "") -> None:
        pages = [items[i:i + PER_PAGE] for i in range(0, len(items), PER_PAGE)] or [[]]
        for number, chunk in enumerate(pages, start=1):
            url = path if number == 1 else f"{path}page/{number}/"
            nxt = f"{path}page/{number + 1}/" if number < len(pages) else None
            extra = head + (f'<link rel="next" href="{nxt}">' if nxt else "")
            pager = f'<a class="pagination-next" href="{nxt}">Suivant</a>' if nxt else ""
            _write(root, url, _page(f"{title} - page {number}",
                                    f"<h1>{title}</h1>{''.join(map(teaser, chunk))}{pager}"
                                    f"{most_read}", extra))

    for section in SECTIONS:
        listing(f"/{section}/", section, [a for a in articles if a.section == section],
                stamp or '<meta property="og:type" content="website">')
    for tag in TAGS:
        listing(f"/tag/{tag}/", f"Tag {tag}", [a for a in articles if tag in a.tags][:PER_PAGE],
                stamp)
    for author in AUTHORS:
        listing(f"/auteur/{author}/", author, [a for a in articles if a.author == author][:PER_PAGE],
                stamp)
    _write(root, "/", _page("GenNews", "<h1>À la une</h1>" + "".join(map(teaser, articles[:20])),
                            '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                            + stamp))
    about = "".join(f"<p>{'GenNews est un site d’actualité technologique indépendant. ' * 4}</p>"
                    for _ in range(4))
    _write(root, "/a-propos/", _page("À propos", f"<article><h1>À propos</h1>{about}</article>"))
    items = "".join(f"<item><title>{html.escape(a.title)}</title><link>{a.path}</link>"
                    f"<pubDate>{a.published:%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
                    for a in articles[:20])
    (root / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel>'
                                   f"<title>GenNews</title>{items}</channel></rss>", encoding="utf-8")
    urls = [f"<url><loc>{a.path}</loc><lastmod>{edited.get(a.path, a.published).isoformat()}"
            "</lastmod></url>" for a in articles]
    urls += [f"<url><loc>/tag/{t}/</loc></url>" for t in TAGS]
    urls += [f"<url><loc>/{s}/</loc></url>" for s in SECTIONS] + ["<url><loc>/a-propos/</loc></url>"]
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(urls) + "</urlset>", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /recherche/\nSitemap: /sitemap.xml\n")
    return articles
