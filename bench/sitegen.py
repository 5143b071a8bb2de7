"""Generate a synthetic French tech-news site as static files: `python bench/sitegen.py OUT`.

The site is what the benchmark crawls: N articles (default 5,000) of 60-120 KB each (inline CSS
and scripts, a mega menu, ads, share buttons, related links, comments, a JSON-LD NewsArticle and
a visible French date such as "Publié le 21/11/2023 à 18h05"), listed newest first by section,
20 articles per listing page, with rel=next pagination. Every article is linked several times on
a listing page (title, image with tracking parameters, comment anchor, "most read" sidebar).

The layout is the fixture site's (crawler/demo_site): `/articles/<slug>` is
`articles/<slug>/index.html`, `/<section>/` is `<section>/index.html`, `/<section>/page/N/` is
`<section>/page/N/index.html`. `manifest.json` (never linked) records what was generated, so
`--add-percent 1` can add 1% new articles to an existing site: they are the newest, so they appear
at the top of the first listing pages, and every listing page shifts as on a real site.

Files are replaced atomically (write, then rename), so a copy of a site made with hard links can
be changed without touching the original.

`--traps` (issue 13) adds what real WordPress-like sites have and a fixed parameter list misses:
comment-reply links (`?replytocom=N`), on-site share links (`?share=twitter&nb=1`), a print view
(`?print=1`), an AMP copy (`/articles/<slug>/amp/`), links with a parameter no list knows
(`?src_ctx=...`), every copy declaring rel=canonical to the clean article URL; and tag and author
listing pages, which, like the home, section and /page/N pages, must never be stored.

`--add-percent P --redesign` (issue 26) adds articles of a redesigned template that names the
author nowhere (no JSON-LD author, no meta, no byline) and shows a related-article card signed by
a person: every article still lands, the authors quietly go (tests/test_health.py).
"""

# ruff: noqa: E501 - the HTML templates are page markup; breaking their lines changes the pages

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import math
import os
import random
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

PER_PAGE = 20
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
FIRST_DATE = dt.datetime(2022, 1, 3, 7, 0, tzinfo=PARIS)
# One article every ~2h40 on average: 5,000 articles span about a year and a half.
MEAN_GAP_MINUTES = 160
SIZE_RANGE = (60_000, 120_000)
# A parameter neither crawler/links/urls.py's fixed list nor a usual CMS list knows: only learning
# from the canonicals removes it (checked: not is_tracking_param("src_ctx")).
UNKNOWN_PARAM = "src_ctx"

# section slug -> (label, weight)
SECTIONS: dict[str, tuple[str, int]] = {
    "actualites": ("Actualités", 30),
    "mobiles": ("Mobiles", 20),
    "jeux-video": ("Jeux vidéo", 20),
    "securite": ("Sécurité", 15),
    "sciences": ("Sciences", 15),
}
TAGS = ["ia", "apple", "samsung", "android", "iphone", "5g", "fibre", "cnil", "rgpd", "nintendo",
        "playstation", "xbox", "pc", "linux", "windows", "cybersecurite", "rancongiciel", "espace",
        "climat", "voiture-electrique", "tesla", "free", "orange", "sfr", "bouygues", "steam"]
AUTHORS = ["Sophie Bernard", "Julien Morel", "Camille Dubois", "Thomas Lefèvre", "Léa Fontaine",
           "Nicolas Girard", "Manon Rousseau", "Antoine Mercier", "Chloé Lambert", "Hugo Faure"]
SUBJECTS = ["Apple", "Samsung", "Google", "Free", "Orange", "SFR", "Bouygues Telecom", "OpenAI",
            "Mistral AI", "La CNIL", "Bruxelles", "Nintendo", "Sony", "Microsoft", "Xiaomi",
            "Ubisoft", "Meta", "Amazon", "Tesla", "L'Arcep", "Le gouvernement", "Qualcomm",
            "Valve", "Airbus", "Thales", "OVHcloud", "Netflix", "Canal+", "Deezer", "Dassault"]
VERBS = ["dévoile", "lance", "corrige", "annonce", "rachète", "abandonne", "teste", "présente",
         "met à jour", "relève", "baisse", "repousse", "confirme", "enquête sur", "déploie"]
OBJECTS = ["son nouveau smartphone pliable", "une faille critique", "ses tarifs", "un modèle d'IA",
           "la 5G SA", "une console portable", "son forfait fibre", "une puce maison",
           "un service de streaming", "une mise à jour de sécurité", "son assistant vocal",
           "un casque de réalité mixte", "ses conditions d'utilisation", "une batterie solide",
           "un satellite d'observation", "un jeu en monde ouvert", "une box Wi-Fi 7",
           "un ordinateur portable ARM", "ses centres de données", "une application de messagerie"]
COMPLEMENTS = ["en France", "dès 2024", "pour 549 euros", "après des mois de rumeurs",
               "face à la concurrence", "malgré les critiques", "en Europe", "sans prévenir",
               "à la surprise générale", "pour les abonnés", "avant Noël", "cet été"]
SENTENCES = [
    "Selon nos informations, {s} prépare ce lancement depuis plus d'un an.",
    "Le calendrier reste flou, mais les premiers tests ont été concluants.",
    "Les analystes interrogés estiment que le marché français devrait suivre rapidement.",
    "Interrogé par nos soins, un porte-parole a refusé de commenter ces informations.",
    "La concurrence n'est pas restée les bras croisés et riposte déjà avec des offres agressives.",
    "Ce choix technique a un coût : l'autonomie baisse d'environ 15 % selon nos mesures.",
    "Les associations de consommateurs dénoncent une hausse déguisée des prix.",
    "Côté logiciel, la mise à jour apporte une vingtaine de correctifs de sécurité.",
    "Le régulateur a ouvert une consultation publique qui se terminera à la fin du mois.",
    "{s} affirme que les données des utilisateurs restent stockées en Europe.",
    "Les premiers retours des utilisateurs sont globalement positifs, malgré quelques bugs.",
    "Il faudra toutefois attendre plusieurs mois avant une disponibilité généralisée.",
    "La Commission européenne suit le dossier de près dans le cadre du DMA.",
    "Les chercheurs ont publié leurs résultats dans une revue à comité de lecture.",
    "Nous avons pu prendre en main l'appareil pendant une semaine avant sa sortie.",
    "Le prix de lancement est fixé à {p} euros, un tarif agressif pour cette gamme.",
    "Les précommandes ouvrent dès aujourd'hui sur le site officiel et chez les revendeurs.",
    "L'entreprise promet un suivi logiciel de sept ans, une première sur ce segment.",
    "Des experts en cybersécurité alertent sur les risques d'exploitation de cette faille.",
    "La fonctionnalité sera d'abord réservée aux États-Unis avant d'arriver en France.",
]
SUBHEADS = ["Ce qui change vraiment", "Un prix en hausse", "Quelle disponibilité en France ?",
            "Notre avis", "Les réactions", "Et la concurrence ?", "Ce qu'il faut retenir",
            "Une question de sécurité", "Les caractéristiques techniques"]
COMMENTS = ["Enfin une bonne nouvelle, il était temps.", "Toujours la même chose, on verra.",
            "Article clair, merci pour le travail.", "Trop cher pour ce que c'est.",
            "Quelqu'un a testé en vrai ? Je suis curieux des performances.",
            "Ça fait des années qu'on attend ça, bravo.", "Encore une fonction gadget…",
            "Je confirme, j'ai eu le problème la semaine dernière."]

CSS_RULES = "\n".join(
    f".c-{name}-{i}{{margin:{i % 7}px {i % 5}px;padding:{i % 3}px {i % 9}px;color:#{(i * 2654435761) % 0xFFFFFF:06x};"
    f"font-size:{12 + i % 10}px;line-height:1.{i % 9 + 1};display:{'flex' if i % 2 else 'block'}}}"
    for name in ("card", "nav", "ad", "widget", "footer", "share", "btn", "grid")
    for i in range(40)
)
HEAD_SCRIPT = """<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('consent', 'default', {'ad_storage': 'denied', 'analytics_storage': 'denied', 'wait_for_update': 500});
  gtag('js', new Date()); gtag('config', 'G-TECHACTU01', {'anonymize_ip': true});
  (function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});
  var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;
  j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-TA01');
</script>
<script async src="https://securepubads.g.doubleclick.net/tag/js/gpt.js"></script>"""
SVG_SPRITE = "<svg xmlns=\"http://www.w3.org/2000/svg\" style=\"display:none\">" + "".join(
    f'<symbol id="i-{n}" viewBox="0 0 24 24"><path d="M{n % 9} {n % 7}h{n % 11}v{n % 13}'
    f'H{n % 5}zm{n % 3} {n % 4}l{n % 6} {n % 8}a10 10 0 1 0-11.6 9.9v-7H7.9V12h2.5V9.8c0-2.5 '
    f'1.5-3.9 3.8-3.9 1.1 0 2.2.2 2.2.2v2.5h-1.3c-1.2 0-1.6.8-1.6 1.6V12h2.8l-.4 2.9h-2.3v7"/></symbol>'
    for n in range(30)
) + "</svg>"


def slugify(text: str) -> str:
    """
    >>> slugify("L'Arcep relève ses tarifs à 549 euros")
    'l-arcep-releve-ses-tarifs-a-549-euros'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class Article:
    """One generated article; everything derives from (seed, number)."""

    def __init__(self, seed: int, number: int, published: dt.datetime) -> None:
        self.number = number
        self.rng = random.Random(seed * 1_000_003 + number)
        rng = self.rng
        self.section = rng.choices(list(SECTIONS), weights=[w for _, w in SECTIONS.values()])[0]
        self.subject = rng.choice(SUBJECTS)
        self.title = (f"{self.subject} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                      f"{rng.choice(COMPLEMENTS)}")
        self.slug = f"{slugify(self.title)}-{number}"
        self.author = rng.choice(AUTHORS)
        self.tags = rng.sample(TAGS, 3)
        self.published = published
        self.updated = (published + dt.timedelta(minutes=rng.randint(20, 1500))
                        if rng.random() < 0.4 else None)
        self.size = rng.randint(*SIZE_RANGE)
        self.comments = rng.randint(0, 40)
        self.excerpt = self._sentence()

    @property
    def path(self) -> str:
        return f"/articles/{self.slug}"

    def _sentence(self) -> str:
        return self.rng.choice(SENTENCES).format(s=self.subject, p=self.rng.randint(99, 1999))

    def to_json(self) -> dict[str, object]:
        return {"number": self.number, "published": self.published.isoformat()}


def french_date(moment: dt.datetime) -> str:
    """
    >>> french_date(dt.datetime(2023, 11, 21, 18, 5, tzinfo=PARIS))
    '21/11/2023 à 18h05'
    """
    return moment.strftime("%d/%m/%Y à %Hh%M")


def _head(title: str, canonical: str, page_type: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} | TechActu</title>
<link rel="canonical" href="{canonical}">
<meta property="og:site_name" content="TechActu">
<meta property="og:locale" content="fr_FR">
<meta property="og:type" content="{page_type}">
<meta property="og:title" content="{html.escape(title)}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@techactu_fr">
<link rel="icon" href="/favicon.ico">
<link rel="preconnect" href="https://images.techactu.example">
{extra}
<style>
:root{{--brand:#e4003a;--ink:#1b1b1f;--muted:#6b6b76;--bg:#fff;--line:#e6e6ea}}
*{{box-sizing:border-box}}body{{margin:0;font:16px/1.6 system-ui,sans-serif;color:var(--ink)}}
{CSS_RULES}
</style>
{HEAD_SCRIPT}
<script>window.techactu = {{env: "production", pageType: "{page_type}", adUnits: ["top", "inread", "sidebar"]}};</script>
</head>
<body>
{SVG_SPRITE}
<a class="sr-only" href="#main">Aller au contenu principal</a>
<div id="cookie-banner" class="cookie-banner" role="dialog" aria-label="Gestion des cookies">
  <p><strong>Vos choix concernant les cookies.</strong> Avec votre accord, nos partenaires et nous utilisons des cookies ou technologies similaires pour stocker et accéder à des informations personnelles comme votre visite sur ce site. Vous pouvez retirer votre consentement à tout moment.</p>
  <button type="button">Accepter et fermer</button> <button type="button">Continuer sans accepter</button>
  <a href="/a-propos/#cookies">Paramétrer</a>
</div>
{_MEGA_MENU}
<div class="ad-slot ad-slot--top"><span class="ad-slot__label">Publicité</span><div id="div-gpt-ad-top" data-sizes="728x90,970x250"></div></div>
"""


def _mega_menu() -> str:
    parts = ['<header class="site-header"><a class="site-header__logo" href="/">Tech<span>Actu</span></a>',
             '<nav class="main-nav" aria-label="Navigation principale"><ul>']
    for slug, (label, _) in SECTIONS.items():
        parts.append(f'<li class="main-nav__item"><a href="/{slug}/">{label}</a><div class="mega"><ul>')
        parts.extend(f'<li><a href="/tag/{tag}/">{tag.replace("-", " ").title()}</a></li>'
                     for tag in TAGS[:14])
        parts.append("</ul></div></li>")
    parts.append('</ul></nav><form class="search-form" action="/recherche/" method="get" role="search">'
                 '<input name="q" type="search" placeholder="Rechercher un article, un test…"></form>'
                 '<a href="/a-propos/#newsletter">Newsletter</a></header>')
    return "\n".join(parts)


_MEGA_MENU = _mega_menu()
_FOOTER = "\n".join([
    '<footer class="site-footer"><div class="site-footer__cols">',
    *(f'<div><p>{label}</p><ul>'
      + "".join(f'<li><a href="/tag/{t}/">{t.replace("-", " ").title()}</a></li>' for t in TAGS[:10])
      + "</ul></div>" for label, _ in SECTIONS.values()),
    '<div><p>TechActu</p><ul><li><a href="/a-propos/">Qui sommes-nous ?</a></li>'
    '<li><a href="/a-propos/#contact">Contact</a></li><li><a href="/a-propos/#mentions">Mentions légales</a></li>'
    '<li><a href="https://www.facebook.com/techactu.example" rel="noopener">Facebook</a></li>'
    '<li><a href="https://x.com/techactu_fr" rel="noopener">X</a></li></ul></div>',
    '</div><p class="site-footer__copy">© TechActu – Tous droits réservés.</p></footer>',
    '<script src="/static/js/cmp.js" defer></script>',
])


def _share(url: str) -> str:
    return ('<div class="share" aria-label="Partager cet article">'
            f'<a href="https://www.facebook.com/sharer/sharer.php?u={url}" rel="noopener"><svg width="18" height="18"><use href="#i-1"/></svg><span class="sr-only">Facebook</span></a>'
            f'<a href="https://x.com/intent/tweet?url={url}" rel="noopener"><svg width="18" height="18"><use href="#i-2"/></svg><span class="sr-only">X</span></a>'
            f'<a href="https://www.linkedin.com/sharing/share-offsite/?url={url}" rel="noopener"><svg width="18" height="18"><use href="#i-3"/></svg><span class="sr-only">LinkedIn</span></a>'
            f'<a href="mailto:?subject=TechActu&amp;body={url}"><svg width="18" height="18"><use href="#i-4"/></svg><span class="sr-only">E-mail</span></a></div>')


def _card(article: Article, tracking: str) -> str:
    """A listing card: the article is linked four times (image with tracking, title, comments)."""
    label = SECTIONS[article.section][0]
    return f"""<article class="card">
  <a class="card__image" href="{article.path}?{tracking}"><img src="https://images.techactu.example/{article.number}.jpg" alt="" width="240" height="135" loading="lazy"></a>
  <div class="card__content">
    <a class="card__section" href="/{article.section}/">{label}</a>
    <h2 class="card__title"><a href="{article.path}">{html.escape(article.title)}</a></h2>
    <p class="card__excerpt">{html.escape(article.excerpt)}</p>
    <p class="card__meta">Par <a href="/auteur/{slugify(article.author)}/">{article.author}</a> · <time datetime="{article.published.isoformat()}">{french_date(article.published)}</time> · <a href="{article.path}#comments">{article.comments} commentaires</a></p>
  </div>
</article>"""


def _most_read(popular: Sequence[Article], *, traps: bool = False) -> str:
    query = f"{UNKNOWN_PARAM}=plus-lus" if traps else "utm_source=plus-lus&amp;utm_medium=sidebar"
    items = "".join(f'<li><a href="{a.path}?{query}">'
                    f"{html.escape(a.title)}</a></li>" for a in popular)
    return f'<aside class="sidebar"><h3>Les plus lus</h3><ol class="most-read">{items}</ol></aside>'


def _trap_links(article: Article) -> str:
    """On-site share and print links, and the AMP copy: all the same article."""
    path = article.path
    return ('<div class="share share--site">'
            f'<a href="{path}?share=twitter&amp;nb=1">Partager sur X</a> '
            f'<a href="{path}?share=facebook&amp;nb=1">Partager sur Facebook</a> '
            f'<a href="{path}?print=1" rel="nofollow">Imprimer</a> '
            f'<a href="{path}/amp/">Version AMP</a></div>')


def amp_page(article: Article) -> str:
    """The AMP copy of an article, declaring the article as its canonical."""
    rng = random.Random(article.number * 7919 + 17)
    jsonld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
              "datePublished": article.published.isoformat(),
              "author": [{"@type": "Person", "name": article.author}]}
    paragraphs = "".join(f"<p>{html.escape(' '.join(article._sentence() for _ in range(4)))}</p>"
                         for _ in range(rng.randint(7, 14)))
    return (f'<!DOCTYPE html><html amp lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(article.title)} | TechActu</title>"
            f'<link rel="canonical" href="{article.path}">'
            f'<script type="application/ld+json">{json.dumps(jsonld, ensure_ascii=False)}</script>'
            f"</head><body><article><h1>{html.escape(article.title)}</h1>"
            f"<p>Publié le {french_date(article.published)}</p>{paragraphs}</article></body></html>\n")


# The redesign (issue 26): a new template that names the author nowhere (no JSON-LD author, no
# meta, no byline) but shows, under the article, a card of a related article signed by a person.
REDESIGN_CARD_AUTHOR = "Marc Lemoine"


def _redesign_card(article: Article) -> str:
    return (f'<aside class="related-card"><a href="/articles/dossier-{article.number}">Le dossier de la '
            f'semaine : {html.escape(article.subject)}</a><p class="related-card__meta">Par '
            f'{REDESIGN_CARD_AUTHOR}, il y a 2 jours</p></aside>')


def article_page(article: Article, older: Sequence[Article], popular: Sequence[Article],
                 *, traps: bool = False, redesign: bool = False) -> str:
    rng = random.Random(article.number * 7919 + 17)
    label = SECTIONS[article.section][0]
    published_iso = article.published.isoformat()
    updated_iso = article.updated.isoformat() if article.updated else published_iso
    jsonld = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
        "datePublished": published_iso, "dateModified": updated_iso,
        "author": [{"@type": "Person", "name": article.author,
                    "url": f"/auteur/{slugify(article.author)}/"}],
        "publisher": {"@type": "Organization", "name": "TechActu",
                      "logo": {"@type": "ImageObject", "url": "https://images.techactu.example/logo.png"}},
        "image": [f"https://images.techactu.example/{article.number}.jpg"],
        "mainEntityOfPage": article.path, "articleSection": label, "keywords": article.tags,
        "inLanguage": "fr-FR",
    }
    if redesign:
        del jsonld["author"]
    breadcrumb = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Accueil", "item": "/"},
        {"@type": "ListItem", "position": 2, "name": label, "item": f"/{article.section}/"}]}
    extra = (f'<meta property="article:published_time" content="{published_iso}">\n'
             f'<meta property="article:section" content="{label}">\n'
             + ("" if redesign else f'<meta name="author" content="{article.author}">\n')
             + f'<script type="application/ld+json">{json.dumps(jsonld, ensure_ascii=False)}</script>\n'
             f'<script type="application/ld+json">{json.dumps(breadcrumb, ensure_ascii=False)}</script>')
    if traps:
        extra += f'\n<link rel="amphtml" href="{article.path}/amp/">'
    parts = [_head(article.title, article.path, "article", extra)]
    updated = (f'<p class="byline__updated">Mis à jour le {french_date(article.updated)}</p>'
               if article.updated else "")
    parts.append(f"""<main id="main" class="layout">
  <article class="article" data-article-id="{article.number}">
    <nav class="breadcrumb" aria-label="Fil d’Ariane"><a href="/">Accueil</a> › <a href="/{article.section}/">{label}</a> › <span>{html.escape(article.title)}</span></nav>
    <header class="article__header">
      <a class="article__section" href="/{article.section}/">{label}</a>
      <h1 class="article__title">{html.escape(article.title)}</h1>
      <div class="byline">
        <img src="https://images.techactu.example/authors/{slugify(article.author)}.jpg" alt="" width="40" height="40">
        {"" if redesign else f'<span class="byline__by">Par <a rel="author" href="/auteur/{slugify(article.author)}/">{article.author}</a></span>'}
        <p class="byline__date">Publié le {french_date(article.published)}</p>{updated}
        <a class="byline__comments" href="#comments">{article.comments} commentaires</a>
      </div>
      {_share(article.path)}{_trap_links(article) if traps else ""}
    </header>
    <figure class="article__image"><img src="https://images.techactu.example/{article.number}.jpg" alt="{html.escape(article.title)}" width="1200" height="675"><figcaption>Crédit photo : TechActu</figcaption></figure>
    <div class="article__body">""")
    for index in range(rng.randint(7, 14)):
        if index and index % 4 == 0:
            parts.append(f"<h2>{rng.choice(SUBHEADS)}</h2>")
        sentences = " ".join(article._sentence() for _ in range(rng.randint(3, 6)))
        parts.append(f"<p>{html.escape(sentences)}</p>")
        if index == 1:
            parts.append('<div class="ad-slot ad-slot--inread"><span class="ad-slot__label">Publicité</span>'
                         '<div id="div-gpt-ad-inread" data-sizes="300x250,336x280"></div></div>')
        if index == 3 and older:
            other = rng.choice(older)
            parts.append(f'<p class="read-also"><strong>Lire aussi :</strong> <a href="{other.path}?utm_source=lire-aussi">'
                         f"{html.escape(other.title)}</a></p>")
    tags = "".join(f'<a rel="tag" href="/tag/{t}/">{t}</a>' for t in article.tags)
    related_query = f"{UNKNOWN_PARAM}=related-{{}}" if traps else "xtor=AL-{}"
    related = "".join(f'<li><a href="{a.path}?{related_query.format(a.number)}">'
                      f"{html.escape(a.title)}</a></li>"
                      for a in rng.sample(list(older), min(6, len(older))))
    parts.append(f"""<div class="tags"><span class="tags__label">Sujets :</span>{tags}</div>
      {_share(article.path)}
      <aside class="newsletter"><p>Recevez chaque matin l’essentiel de l’actu tech</p><form action="https://newsletter.techactu.example/subscribe" method="post"><input type="email" name="email"><button type="submit">Je m’inscris</button></form></aside>
    </div>
  </article>
  {_redesign_card(article) if redesign else ""}<section class="related"><h2>À lire aussi</h2><ul>{related}</ul></section>
  <section id="comments" class="comments"><h2>Commentaires ({article.comments})</h2>""")
    for index in range(article.comments):
        reply = (f'<a class="comment-reply-link" rel="nofollow" href="{article.path}'
                 f'?replytocom={article.number * 100 + index}#respond">Répondre</a>'
                 if traps else "")
        parts.append(f'<div class="comment"><p class="comment__author">lecteur_{rng.randint(1, 9999)}</p>'
                     f'<p class="comment__text">{html.escape(rng.choice(COMMENTS))}</p>{reply}</div>')
    parts.append("</section>")
    parts.append(_most_read(popular, traps=traps))
    parts.append("</main>")
    parts.append(_FOOTER)
    page = "\n".join(parts)
    # The rest of the page budget is an application-state blob, as Next.js/Nuxt sites embed.
    state = _state_blob(rng, max(0, article.size - len(page.encode()) - 80))
    return f'{page}\n<script id="__APP_STATE__" type="application/json">{state}</script>\n</body>\n</html>\n'


def _state_blob(rng: random.Random, size: int) -> str:
    records = []
    length = 2
    while length < size:
        record = json.dumps({"id": rng.randint(1, 10**6), "slot": rng.choice(["top", "inread", "sidebar"]),
                             "title": rng.choice(OBJECTS), "score": round(rng.random(), 4),
                             "tags": rng.sample(TAGS, 2)}, ensure_ascii=False)
        records.append(record)
        length += len(record.encode()) + 1
    return "[" + ",".join(records) + "]"


def listing_page(section: str, page: int, pages: int, articles: Sequence[Article],
                 featured: Sequence[Article], popular: Sequence[Article], *,
                 traps: bool = False, label: str | None = None, base: str | None = None) -> str:
    """A section's page N; with `label` and `base`, a tag or author page of the same layout."""
    label = label or SECTIONS[section][0]
    base = base or f"/{section}/"
    canonical = base if page == 1 else f"{base}page/{page}/"
    links = []
    if page > 1:
        links.append(f'<link rel="prev" href="{base if page == 2 else f"{base}page/{page - 1}/"}">')
    if page < pages:
        links.append(f'<link rel="next" href="{base}page/{page + 1}/">')
    title = label if page == 1 else f"{label} – page {page}"
    parts = [_head(title, canonical, "website", "\n".join(links)), '<main id="main" class="layout">',
             f'<h1 class="section-title">{label}</h1>']
    if featured:
        parts.append('<section class="une"><h2>À la une</h2>')
        parts.extend(f'<a class="une__item" href="{a.path}?utm_source=une&amp;utm_campaign={section}">'
                     f"{html.escape(a.title)}</a>" for a in featured)
        parts.append("</section>")
    for index, article in enumerate(articles):
        parts.append(_card(article, f"utm_source={section}&amp;utm_medium=liste&amp;utm_content=pos{index}"))
        if index == 9:
            parts.append('<div class="ad-slot"><span class="ad-slot__label">Publicité</span></div>')
    numbers = sorted({1, max(1, page - 2), page - 1, page, page + 1, page + 2, pages} - {0})
    nav = "".join(f'<a href="{base if n == 1 else f"{base}page/{n}/"}">{n}</a>'
                  for n in numbers if 1 <= n <= pages)
    if page < pages:
        nav += f'<a class="next" rel="next" href="{base}page/{page + 1}/">Page suivante</a>'
    parts.append(f'<nav class="pagination" aria-label="Pagination">{nav}</nav>')
    parts.append(_most_read(popular, traps=traps))
    parts.append("</main>")
    parts.append(_FOOTER)
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _publication_dates(seed: int, count: int, start: dt.datetime) -> list[dt.datetime]:
    rng = random.Random(seed)
    dates, moment = [], start
    for _ in range(count):
        moment = moment + dt.timedelta(minutes=rng.randint(20, 2 * MEAN_GAP_MINUTES - 20))
        dates.append(moment)
    return dates


def _articles(seed: int, published: Sequence[dt.datetime]) -> list[Article]:
    return [Article(seed, number, moment) for number, moment in enumerate(published)]


def _write_listings(out: Path, articles: Sequence[Article], *, traps: bool = False) -> int:
    newest_first = sorted(articles, key=lambda a: a.number, reverse=True)
    popular_rng = random.Random(len(articles))
    popular = popular_rng.sample(newest_first[:200], min(10, len(newest_first)))
    count = 0
    for section in SECTIONS:
        listed = [a for a in newest_first if a.section == section]
        featured = [a for a in newest_first if a.section != section][:4]
        pages = max(1, math.ceil(len(listed) / PER_PAGE))
        for page in range(1, pages + 1):
            chunk = listed[(page - 1) * PER_PAGE: page * PER_PAGE]
            target = out / section / ("index.html" if page == 1 else f"page/{page}/index.html")
            _write(target, listing_page(section, page, pages, chunk, featured, popular,
                                        traps=traps))
            count += 1
        # A site shrinks only in tests; drop pages past the end so pagination stays consistent.
        extra = pages + 1
        while (out / section / "page" / str(extra) / "index.html").exists():
            (out / section / "page" / str(extra) / "index.html").unlink()
            extra += 1
    if traps:  # tag and author pages: first page only, the newest articles of each
        taxonomies = [(f"/tag/{t}/", t.replace("-", " ").title(),
                       [a for a in newest_first if t in a.tags]) for t in TAGS]
        taxonomies += [(f"/auteur/{slugify(name)}/", name,
                        [a for a in newest_first if a.author == name]) for name in AUTHORS]
        for base, label, listed in taxonomies:
            if listed:
                _write(out / base.strip("/") / "index.html", listing_page(
                    "actualites", 1, 1, listed[:PER_PAGE], [], popular, traps=True, label=label,
                    base=base))
                count += 1
    return count


def _write_articles(out: Path, articles: Sequence[Article], every: Sequence[Article], *,
                    traps: bool = False, redesign: bool = False) -> None:
    newest_first = sorted(every, key=lambda a: a.number, reverse=True)
    popular = newest_first[:10]
    for article in articles:
        older = every[max(0, article.number - 60): article.number]
        _write(out / "articles" / article.slug / "index.html",
               article_page(article, older, popular, traps=traps, redesign=redesign))
        if traps:
            _write(out / "articles" / article.slug / "amp" / "index.html", amp_page(article))


def generate(out: Path, *, articles: int = 5000, seed: int = 2023,
             traps: bool = False) -> dict[str, object]:
    """Write a whole site of `articles` articles to `out`; return its manifest."""
    out.mkdir(parents=True, exist_ok=True)
    every = _articles(seed, _publication_dates(seed, articles, FIRST_DATE))
    _write_articles(out, every, every, traps=traps)
    listings = _write_listings(out, every, traps=traps)
    _write(out / "robots.txt", "# TechActu (synthetic benchmark site)\nUser-agent: *\n"
           "Disallow: /recherche/\nAllow: /\n")
    _write(out / "index.html", _head("Accueil", "/", "website") + "".join(
        f'<p><a href="/{s}/">{label}</a></p>' for s, (label, _) in SECTIONS.items())
        + _FOOTER + "</body></html>\n")
    manifest = {"seed": seed, "articles": [a.to_json() for a in every], "listing_pages": listings,
                "sections": list(SECTIONS), "per_page": PER_PAGE, "traps": traps}
    _write(out / "manifest.json", json.dumps(manifest))
    return manifest


def add_articles(out: Path, *, percent: float = 1.0, count: int | None = None,
                 redesign: bool = False) -> list[str]:
    """Add `percent`% (or `count`) new articles (the newest) to a generated site; return their
    paths. With `redesign`, they have the redesigned template (no author shown anywhere)."""
    manifest = json.loads((out / "manifest.json").read_text())
    seed = int(manifest["seed"])
    known = [dt.datetime.fromisoformat(a["published"]) for a in manifest["articles"]]
    added = count if count is not None else max(1, round(len(known) * percent / 100))
    newer = _publication_dates(seed + len(known), added, known[-1])
    every = _articles(seed, [*known, *newer])
    fresh = every[len(known):]
    traps = bool(manifest.get("traps"))
    _write_articles(out, fresh, every, traps=traps, redesign=redesign)
    manifest["listing_pages"] = _write_listings(out, every, traps=traps)
    manifest["articles"] = [a.to_json() for a in every]
    _write(out / "manifest.json", json.dumps(manifest))
    return [a.path for a in fresh]


def article_paths(out: Path) -> list[str]:
    """The paths of every article of a generated site, oldest first."""
    manifest = json.loads((out / "manifest.json").read_text())
    seed = int(manifest["seed"])
    return [Article(seed, a["number"], dt.datetime.fromisoformat(a["published"])).path
            for a in manifest["articles"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the site to")
    parser.add_argument("--articles", type=int, default=5000, help="number of articles (new site)")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--traps", action="store_true",
                        help="add comment-reply, share, print, AMP and unknown-parameter links, "
                             "and tag and author pages (issue 13)")
    parser.add_argument("--add-percent", type=float, default=None,
                        help="add this percentage of new articles to the existing site in OUT")
    parser.add_argument("--redesign", action="store_true",
                        help="with --add-percent: the new articles have the redesigned template "
                             "(no author shown anywhere; issue 26)")
    args = parser.parse_args()
    if args.add_percent is not None:
        paths = add_articles(args.out, percent=args.add_percent, redesign=args.redesign)
        print(f"added {len(paths)} articles to {args.out}")
        return
    manifest = generate(args.out, articles=args.articles, seed=args.seed, traps=args.traps)
    print(f"wrote {len(manifest['articles'])} articles and {manifest['listing_pages']} listing "
          f"pages to {args.out}")


if __name__ == "__main__":
    main()
