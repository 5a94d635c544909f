"""The DCAT-AP_IT catalogue of the open datasets (rdflib), for the CKAN harvester of dati.gov.it.

Catalogue, datasets and distributions carry the profile's mandatory properties: identifier ("<IPA code>:<slug>"),
title and description in Italian and English, theme (EU data themes), publisher and rights holder (agents with
their IPA code), modified, accrual periodicity (EU frequencies), contact point (a vCard organisation with an
e-mail) and, on each distribution, format, access URL and licence (CC-BY 4.0). ``opendata/shapes/`` holds the
SHACL shapes the tests validate it with.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from .registry import Dataset

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
THEMES = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCIES = "http://publications.europa.eu/resource/authority/frequency/"
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
LICENCE_CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
# EU licence vocabulary's type of CC-BY 4.0, and the Italian licence taxonomy entry (A21: CC-BY 4.0).
LICENCE_TYPE = URIRef("http://purl.org/adms/licencetype/Attribution")
LICENCE_CLASS = URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")
MEDIA = {"csv": ("CSV", "text/csv"), "geojson": ("GEOJSON", "application/geo+json")}


def _agent(graph: Graph, uri: URIRef, name: str, ipa_code: str) -> URIRef:
    graph.add((uri, RDF.type, DCATAPIT.Agent))
    graph.add((uri, RDF.type, FOAF.Agent))
    graph.add((uri, FOAF.name, Literal(name, lang="it")))
    graph.add((uri, DCTERMS.identifier, Literal(ipa_code)))
    return uri


def build_catalogue(datasets: list[Dataset], *, base_url: str, modified: dt.date) -> Graph:
    """The catalogue as an RDF graph; ``base_url`` is the site's (URIs of datasets and files hang from it)."""
    base = base_url.rstrip("/") + "/opendata/"
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("dcatapit", DCATAPIT),
                              ("vcard", VCARD)):  # fmt: skip
        graph.bind(prefix, namespace)
    publisher = _agent(graph, URIRef(base + "#publisher"), settings.OPENDATA_PUBLISHER_NAME,
                       settings.OPENDATA_PUBLISHER_IPA_CODE)  # fmt: skip
    holder = _agent(graph, URIRef(base + "#rights-holder"), settings.OPENDATA_RIGHTS_HOLDER_NAME,
                    settings.OPENDATA_RIGHTS_HOLDER_IPA_CODE)  # fmt: skip
    contact = URIRef(base + "#contact")
    graph.add((contact, RDF.type, DCATAPIT.Organization))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(settings.OPENDATA_CONTACT_NAME)))
    graph.add((contact, VCARD.hasEmail, URIRef("mailto:" + settings.OPENDATA_CONTACT_EMAIL)))
    licence = URIRef(base + "#licence")
    graph.add((licence, RDF.type, DCATAPIT.LicenseDocument))
    graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
    graph.add((licence, DCTERMS.type, LICENCE_TYPE))
    graph.add((licence, FOAF.name, Literal("Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)", lang="it")))
    graph.add((licence, DCAT.theme, LICENCE_CLASS))
    graph.add((licence, FOAF.homepage, LICENCE_CC_BY_4))

    catalogue = URIRef(base + "catalog")
    graph.add((catalogue, RDF.type, DCATAPIT.Catalog))
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, Literal("Osservatorio sulla sicurezza urbana: dati aperti", lang="it")))
    graph.add((catalogue, DCTERMS.title, Literal("Urban Safety Observatory: open data", lang="en")))
    graph.add((catalogue, DCTERMS.description, Literal(
        "Come si sente sicura la città di notte: indicatori, segnalazioni pubblicate, progetti finanziati, sensori, "
        "stime delle indagini.",
        lang="it")))  # fmt: skip
    graph.add(
        (
            catalogue,
            DCTERMS.description,
            Literal(
                "How safe the city feels at night: indicators, published reports, funded projects, sensors, survey "
                "estimates.",
                lang="en",
            ),
        )
    )
    graph.add((catalogue, DCTERMS.publisher, publisher))
    graph.add((catalogue, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
    graph.add((catalogue, FOAF.homepage, URIRef(base)))
    graph.add((catalogue, DCTERMS.language, URIRef("http://publications.europa.eu/resource/authority/language/ITA")))
    graph.add((catalogue, DCAT.themeTaxonomy, URIRef(THEMES.rstrip("/"))))

    for dataset in datasets:
        node = URIRef(base + dataset.slug)
        graph.add((catalogue, DCAT.dataset, node))
        graph.add((node, RDF.type, DCATAPIT.Dataset))
        graph.add((node, RDF.type, DCAT.Dataset))
        graph.add((node, DCTERMS.identifier, Literal(f"{settings.OPENDATA_PUBLISHER_IPA_CODE}:{dataset.slug}")))
        graph.add((node, DCTERMS.title, Literal(dataset.title_it, lang="it")))
        graph.add((node, DCTERMS.title, Literal(dataset.title_en, lang="en")))
        graph.add((node, DCTERMS.description, Literal(dataset.description_it, lang="it")))
        graph.add((node, DCTERMS.description, Literal(dataset.description_en, lang="en")))
        graph.add((node, DCAT.theme, URIRef(THEMES + dataset.theme)))
        graph.add((node, DCTERMS.publisher, publisher))
        graph.add((node, DCTERMS.rightsHolder, holder))
        graph.add((node, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
        graph.add((node, DCTERMS.accrualPeriodicity, URIRef(FREQUENCIES + dataset.accrual_periodicity)))
        graph.add((node, DCAT.contactPoint, contact))
        graph.add((node, DCAT.landingPage, URIRef(base)))
        for keyword in dataset.keywords:
            graph.add((node, DCAT.keyword, Literal(keyword, lang="it")))
        for fmt in dataset.formats:
            file_type, media_type = MEDIA[fmt]
            url = URIRef(f"{base}{dataset.slug}.{fmt}")
            distribution = BNode(f"{dataset.slug}-{fmt}")
            graph.add((node, DCAT.distribution, distribution))
            graph.add((distribution, RDF.type, DCATAPIT.Distribution))
            graph.add((distribution, RDF.type, DCAT.Distribution))
            graph.add((distribution, DCTERMS.format, URIRef(FILE_TYPES + file_type)))
            graph.add((distribution, DCAT.mediaType, Literal(media_type)))
            graph.add((distribution, DCAT.accessURL, url))
            graph.add((distribution, DCAT.downloadURL, url))
            graph.add((distribution, DCTERMS.license, licence))
            graph.add((distribution, DCTERMS.title, Literal(f"{dataset.title_it} ({file_type})", lang="it")))
            graph.add((distribution, DCTERMS.description, Literal(f"{dataset.description_it} ({file_type})",
                                                                   lang="it")))  # fmt: skip
    return graph
