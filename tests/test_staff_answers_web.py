"""Staff answers through the dashboard and the JSON API, on loopback: write an answer for a
cluster or one question, preview it per channel, publish (the gaps become answered), edit (a new
version), unpublish; the API's 201 / 422 naming the field / 400 / 401 / 404; hostile text
escaped."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gaps.store import GapStore
from bot.knowledge import configured_knowledge
from bot.questions.model import QuestionEntry
from bot.questions.store import QuestionLog
from bot.staff_answers.model import Draft, Question
from bot.staff_answers.store import AnswerStore
from tests.gaps_support import WEDDING_QUESTIONS, gap
from tests.test_dashboard import CSRF, TOKEN, XSS, log_in, staff_app

KB = configured_knowledge()
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FORM = {
    "en": "NSSF has no wedding grant.",
    "km": "ប.ស.ស. មិនមានប្រាក់ឧបត្ថម្ភរៀបការទេ។",
    "source_name": "NSSF communication team",
    "source_date": "2026-11-30",
    "topic": "",
}


@pytest.fixture
async def client(sqlite_store: GapStore) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(staff_app(sqlite_store), host="127.0.0.1")) as c:
        yield c


# three questions that form one cluster (English and Khmer), and an unrelated one
WEDDING = tuple(text for text, _, _ in WEDDING_QUESTIONS[:3])


def add_wedding_questions(store: GapStore) -> None:
    for text, lang, days in WEDDING_QUESTIONS[:3]:
        store.add(gap(text, language=lang, days_ago=days))
    store.add(gap("lottery numbers today"))


async def wedding_cluster(client: TestClient, store: GapStore) -> str:
    add_wedding_questions(store)
    await log_in(client)
    html = await (await client.get("/staff/clusters")).text()
    key = re.findall(r'href="/staff/clusters/(c\d+)', html)[0]
    page = await (await client.get(f"/staff/clusters/{key}")).text()
    assert f'href="/staff/answers/new?cluster={key}"' in page
    return key


async def test_write_preview_and_publish_an_answer_for_a_cluster(
    client: TestClient, sqlite_store: GapStore
) -> None:
    key = await wedding_cluster(client, sqlite_store)
    form_page = await (await client.get(f"/staff/answers/new?cluster={key}")).text()
    for text in WEDDING:
        assert text in form_page
    gap_ids = re.findall(r'name="gap_ids" value="(\d+)"', form_page)
    assert len(gap_ids) == len(WEDDING)
    token = CSRF.search(form_page).group(1)
    fields = [("csrf", token), *FORM.items(), *(("gap_ids", i) for i in gap_ids)]
    shown = await client.post("/staff/answers", data=[*fields, ("action", "preview")])
    html = await shown.text()
    assert shown.status == 200
    assert html.count('class="preview"') == 4  # Messenger and Telegram, Khmer and English
    assert "NSSF has no wedding grant.\n\nSource: NSSF communication team (2026-11-30)" in html
    # and the question a close but not sure message gets first, in both languages
    assert html.count('class="preview offer"') == 2
    assert "NSSF staff have answered a question like yours: “NSSF has no wedding grant.”" in html
    assert "«ប.ស.ស. មិនមានប្រាក់ឧបត្ថម្ភរៀបការទេ។»" in html
    assert AnswerStore(sqlite_store).list() == []  # a preview publishes nothing
    done = await client.post(
        "/staff/answers", data=[*fields, ("action", "publish")], allow_redirects=False
    )
    assert done.status == 303
    answer_id = int(re.search(r"/staff/answers/(\d+)", done.headers["Location"]).group(1))
    page = await (await client.get(done.headers["Location"])).text()
    assert "Published: the bot uses this answer from now on." in page
    stored = AnswerStore(sqlite_store).get(answer_id)
    assert stored is not None and stored.created_by == "staff"
    assert sorted(q.text for q in stored.questions) == sorted(WEDDING)
    statuses = {r.text: r.status for r in sqlite_store.list()}
    assert {statuses[t] for t in WEDDING} == {"answered"}
    assert statuses["lottery numbers today"] == "new"
    listing = await (await client.get("/staff/answers")).text()
    assert f'data-answer="{answer_id}"' in listing and "NSSF communication team" in listing


async def test_publishing_without_a_language_or_source_says_which_field(
    client: TestClient, sqlite_store: GapStore
) -> None:
    sqlite_store.add(gap("does nssf pay for my glasses"))
    await log_in(client)
    gap_id = sqlite_store.list()[0].id
    page = await (await client.get(f"/staff/gaps/{gap_id}")).text()
    assert f'href="/staff/answers/new?gaps={gap_id}"' in page
    form_page = await (await client.get(f"/staff/answers/new?gaps={gap_id}")).text()
    token = CSRF.search(form_page).group(1)
    data = {**FORM, "km": "", "source_date": "", "csrf": token, "gap_ids": str(gap_id)}
    refused = await client.post("/staff/answers", data={**data, "action": "publish"})
    html = await refused.text()
    assert refused.status == 422
    assert "Please check the marked fields." in html and html.count("required") == 2
    assert AnswerStore(sqlite_store).list() == []
    assert sqlite_store.list()[0].status == "new"


async def test_edit_makes_a_new_version_and_unpublish_stops_it(
    client: TestClient, sqlite_store: GapStore
) -> None:
    key = await wedding_cluster(client, sqlite_store)
    form_page = await (await client.get(f"/staff/answers/new?cluster={key}")).text()
    token = CSRF.search(form_page).group(1)
    ids = re.findall(r'name="gap_ids" value="(\d+)"', form_page)
    done = await client.post(
        "/staff/answers",
        data=[
            ("csrf", token),
            ("action", "publish"),
            *FORM.items(),
            *(("gap_ids", i) for i in ids),
        ],
        allow_redirects=False,
    )
    where = done.headers["Location"].split("?")[0]
    edited = {**FORM, "en": "NSSF pays no wedding grant; see the survivors' benefits."}
    saved = await client.post(
        where, data={**edited, "csrf": token, "action": "save"}, allow_redirects=False
    )
    assert saved.status == 303
    page = await (await client.get(saved.headers["Location"])).text()
    assert "Saved as a new version." in page and "version 2" in page
    assert 'id="versions"' in page and "NSSF has no wedding grant." in page  # version 1 kept
    stopped = await client.post(
        f"{where}/state", data={"csrf": token, "to": "unpublished"}, allow_redirects=False
    )
    assert stopped.status == 303
    answers = AnswerStore(sqlite_store)
    assert answers.published() == []
    assert answers.list()[0].draft.en == edited["en"]
    forged = await client.post(f"{where}/state", data={"to": "published"})
    assert forged.status == 403 and answers.published() == []  # no CSRF token
    missing = await client.get("/staff/answers/999")
    assert missing.status == 404


async def test_hostile_text_in_questions_and_answers_is_escaped(
    client: TestClient, sqlite_store: GapStore
) -> None:
    for text in XSS:
        sqlite_store.add(gap(text))
    await log_in(client)
    ids = ",".join(str(r.id) for r in sqlite_store.list())
    form_page = await (await client.get(f"/staff/answers/new?gaps={ids}")).text()
    assert "<script>window" not in form_page and "&lt;script&gt;" in form_page
    token = CSRF.search(form_page).group(1)
    data = [("csrf", token), ("action", "preview"), *{**FORM, "en": XSS[1]}.items()]
    data += [("gap_ids", i) for i in ids.split(",")]
    html = await (await client.post("/staff/answers", data=data)).text()
    assert "<img src=x onerror" not in html and "&lt;img src=x" in html


async def test_the_api_publishes_lists_and_unpublishes_answers(
    client: TestClient, sqlite_store: GapStore
) -> None:
    add_wedding_questions(sqlite_store)
    clusters = await (await client.get("/api/clusters", headers=AUTH)).json()
    body = {
        "cluster_id": clusters[0]["id"],
        "answer": {"en": FORM["en"], "km": FORM["km"]},
        "source": {"name": FORM["source_name"], "date": FORM["source_date"]},
    }
    created = await client.post("/api/answers", json=body, headers=AUTH)
    assert created.status == 201
    answer_id = (await created.json())["id"]
    listed = await (await client.get("/api/answers", headers=AUTH)).json()
    assert [a["id"] for a in listed] == [answer_id]
    assert listed[0]["status"] == "published" and listed[0]["answer"]["km"] == FORM["km"]
    assert listed[0]["source"] == {"name": FORM["source_name"], "date": "2026-11-30"}
    assert sorted(listed[0]["gap_ids"]) == sorted(clusters[0]["gap_ids"])
    by_ids = await client.post(
        "/api/answers",
        json={**body, "cluster_id": None, "gap_ids": [clusters[0]["gap_ids"][0]]},
        headers=AUTH,
    )
    assert by_ids.status == 201
    sqlite_store.add(gap("will nssf give a grant when i marry"))
    later = sqlite_store.list()[0].id
    linked = await client.post(
        f"/api/answers/{answer_id}/questions", json={"gap_ids": [later]}, headers=AUTH
    )
    assert linked.status == 200 and (await linked.json()) == {"id": answer_id, "added": 1}
    nowhere = await client.post(
        "/api/answers/999/questions", json={"gap_ids": [later]}, headers=AUTH
    )
    assert nowhere.status == 404
    deleted = await client.delete(f"/api/answers/{answer_id}", headers=AUTH)
    assert deleted.status == 200 and (await deleted.json())["status"] == "unpublished"
    assert [a.id for a in AnswerStore(sqlite_store).published()] == [(await by_ids.json())["id"]]
    assert (await client.delete("/api/answers/999", headers=AUTH)).status == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": {"en": "x"}}, "answer.km"),
        ({"answer": {"km": "x"}}, "answer.en"),
        ({"source": {"date": "2026-11-30"}}, "source.name"),
        ({"source": {"name": "NSSF"}}, "source.date"),
        ({"source": {"name": "NSSF", "date": "30/11/2026"}}, "source.date"),
        ({"gap_ids": None, "cluster_id": "c999"}, "cluster_id"),
        ({"gap_ids": [12345]}, "gap_ids"),
        ({"gap_ids": []}, "cluster_id"),
    ],
)
async def test_the_api_names_the_missing_or_wrong_field(
    client: TestClient, sqlite_store: GapStore, change: dict, field: str
) -> None:
    sqlite_store.add(gap("does nssf pay for my glasses"))
    body = {
        "gap_ids": [sqlite_store.list()[0].id],
        "answer": {"en": FORM["en"], "km": FORM["km"]},
        "source": {"name": FORM["source_name"], "date": FORM["source_date"]},
        **change,
    }
    refused = await client.post("/api/answers", json=body, headers=AUTH)
    assert refused.status == 422
    assert (await refused.json())["field"] == field
    assert AnswerStore(sqlite_store).list() == []


async def test_the_api_refuses_broken_json_and_a_missing_token(client: TestClient) -> None:
    broken = await client.post("/api/answers", data=b"{not json", headers=AUTH)
    assert broken.status == 400 and "JSON" in (await broken.json())["error"]
    listed = await client.post("/api/answers", data=json.dumps([1]), headers=AUTH)
    assert listed.status == 400
    for method, path in (
        ("GET", "/api/answers"),
        ("POST", "/api/answers"),
        ("DELETE", "/api/answers/1"),
    ):
        assert (await client.request(method, path)).status == 401


async def test_the_answer_page_shows_who_asked_to_be_told_and_never_their_address(
    client: TestClient, sqlite_store: GapStore
) -> None:
    from bot.gaps.capture import hmac_key
    from bot.gaps.redaction import conversation_key
    from bot.notifications.address import AddressBox
    from bot.notifications.store import NotifyStore

    record = gap("does nssf pay for my glasses")
    sqlite_store.add(record)
    notify = NotifyStore(sqlite_store, AddressBox.from_env())
    psid = "messenger:psid-secret-42"
    notify.subscribe(record.uid, conversation_key(psid, hmac_key()), "messenger", psid, "km")
    await log_in(client)
    gap_id = sqlite_store.list()[0].id
    form_page = await (await client.get(f"/staff/answers/new?gaps={gap_id}")).text()
    token = CSRF.search(form_page).group(1)
    done = await client.post(
        "/staff/answers",
        data={**FORM, "csrf": token, "gap_ids": str(gap_id), "action": "publish"},
        allow_redirects=False,
    )
    page = await (await client.get(done.headers["Location"])).text()
    rows = re.findall(r'<tr data-state="(\w+)"><td>(\w+)</td>', page)
    # the fake has no Messenger token here: the request waits, pending, visible
    assert rows == [("pending", "messenger")]
    assert "psid-secret-42" not in page


async def test_a_question_found_later_joins_an_existing_answer_and_its_asker_is_told(
    client: TestClient, sqlite_store: GapStore
) -> None:
    from bot.gaps.capture import hmac_key
    from bot.gaps.redaction import conversation_key
    from bot.notifications.address import AddressBox
    from bot.notifications.store import NotifyStore

    sqlite_store.add(gap("does nssf pay for my glasses"))
    first = sqlite_store.list()[0]
    answers = AnswerStore(sqlite_store)
    answer_id = answers.publish(
        Draft(FORM["en"], FORM["km"], FORM["source_name"], dt.date(2026, 11, 30)),
        [Question(first.text, "en", first.id)],
        "dara",
    )
    later = gap("spectacles, are they refunded by social security?")
    sqlite_store.add(later)
    later_id = next(r.id for r in sqlite_store.list() if r.uid == later.uid)
    notify = NotifyStore(sqlite_store, AddressBox.from_env())
    web_id = "web:" + "a" * 32
    notify.subscribe(later.uid, conversation_key(web_id, hmac_key()), "web", web_id, "en")
    await log_in(client)
    page = await (await client.get(f"/staff/gaps/{later_id}")).text()
    assert 'action="/staff/answers/link"' in page and f'<option value="{answer_id}">' in page
    token = CSRF.search(page).group(1)
    done = await client.post(
        "/staff/answers/link",
        data={"csrf": token, "answer": str(answer_id), "gap_ids": str(later_id)},
        allow_redirects=False,
    )
    assert done.status == 303
    flash = await (await client.get(done.headers["Location"])).text()
    assert "Added: the bot now also gives this answer to these questions." in flash
    linked = answers.get(answer_id)
    assert linked is not None and [q.gap_id for q in linked.questions] == [first.id, later_id]
    assert {r.status for r in sqlite_store.list()} == {"answered"}
    assert [n.state for n in notify.list()] == ["pending"]  # told at the next visit
    again = await client.post(
        "/staff/answers/link",
        data={"csrf": token, "answer": str(answer_id), "gap_ids": str(later_id)},
        allow_redirects=False,
    )
    assert again.status == 303 and len(answers.get(answer_id).questions) == 2  # not twice
    missing = await client.post(
        "/staff/answers/link", data={"csrf": token, "answer": "999", "gap_ids": str(later_id)}
    )
    assert missing.status == 404


def sent_entry(uid: str, text: str, answer_id: int, reason: str = "") -> QuestionEntry:
    outcome = "staff_answer" if answer_id else "gap"
    return QuestionEntry(
        uid, "conv", "telegram", "en", text, outcome, "", reason, answer_id or None
    )


async def test_the_messages_an_answer_was_sent_for_can_join_its_questions(
    client: TestClient, sqlite_store: GapStore
) -> None:
    answers = AnswerStore(sqlite_store)
    draft = Draft(FORM["en"], FORM["km"], FORM["source_name"], dt.date(2026, 11, 30))
    answer_id = answers.publish(draft, [Question("wedding grant?", "en")], "dara")
    other_id = answers.publish(draft, [Question("funeral grant?", "en")], "dara")
    log = QuestionLog(sqlite_store)
    for entry in (
        sent_entry("u1", "money when I get married", answer_id, "after_yes"),
        sent_entry("u2", "wedding grant?", answer_id),
        sent_entry("u3", "funeral money", other_id),
        sent_entry("u4", "a gap", 0),
    ):
        assert log.add(entry)
    await log_in(client)
    page = await (await client.get(f"/staff/answers/{answer_id}")).text()
    rows = re.findall(r'<tr data-how="(\w+)">.*?<td class="text" lang="en">([^<]*)</td>', page)
    # newest first; another answer's message and a gap are not listed
    assert rows == [("at_once", "wedding grant?"), ("after_yes", "money when I get married")]
    assert "after the user said yes to it" in page
    # a message already among its questions has no box to tick
    assert re.findall(r'name="uids" value="(\w+)"', page) == ["u1"]
    token = CSRF.search(page).group(1)
    done = await client.post(
        f"/staff/answers/{answer_id}/questions",
        data=[("csrf", token), ("uids", "u1"), ("uids", "u3"), ("uids", "u4")],
        allow_redirects=False,
    )
    assert done.status == 303
    stored = answers.get(answer_id)
    assert stored is not None
    assert [q.text for q in stored.questions] == ["wedding grant?", "money when I get married"]
    other = answers.get(other_id)
    assert other is not None and [q.text for q in other.questions] == ["funeral grant?"]
    nothing = await client.post(
        f"/staff/answers/{answer_id}/questions", data=[("csrf", token), ("uids", "u3")]
    )
    assert nothing.status == 422
    refused = await client.post(f"/staff/answers/{answer_id}/questions", data=[("uids", "u1")])
    assert refused.status == 403  # no CSRF token
