from fastapi.testclient import TestClient

from app.config import Settings
from app.web.app import create_app
from tests.conftest import free_port


def test_healthz_is_ok_when_the_graph_answers(neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "neo4j": "up"}


def test_healthz_is_503_when_the_graph_is_down(neo4j_settings: Settings) -> None:
    # Nothing listens on this port: the app starts anyway and says so.
    dead = neo4j_settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}",
                                             "neo4j_password": "irrelevant"})
    with TestClient(create_app(dead)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["neo4j"] == "down"


def test_openapi_document_is_served(neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    assert "/healthz" in response.json()["paths"]


def test_home_page_and_assets_are_served(neo4j_settings: Settings) -> None:
    from bs4 import BeautifulSoup

    with TestClient(create_app(neo4j_settings)) as client:
        page = client.get("/about")
        assert page.status_code == 200
        soup = BeautifulSoup(page.text, "html.parser")
        assert soup.title and "Hydrascope" in soup.title.string
        assert "up" in soup.select_one("dl.facts").get_text()
        for ref in [link["href"] for link in soup.select("link[rel=stylesheet]")] + [
            script["src"] for script in soup.select("script[src]")
        ]:
            assert client.get(ref).status_code == 200, ref
