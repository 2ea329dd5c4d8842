"""Issue 15: the case list's text search reads the words of a case's title, description and
address (app/search/words.py, a GIN index on PostgreSQL) and gives the same answers on SQLite."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text, update

from app import create_app
from app.cases import search, searchable, service
from app.cases.models import Case
from app.clock import utcnow
from app.engine.errors import InvalidData
from app.extensions import db
from app.search.words import query_words
from app.timelimits.lights import basis
from app.workspace.inbox import InboxFilter, inbox
from tests import factories as f


@pytest.fixture
def desk(app):
    """A township office in 和平街道 with its handler, and the city's registrar, who sees every case."""
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city", name="阜新市")
    township = f.territory("210902001", "township", f.territory("210902", "county", city), name="和平街道")
    office = f.unit("U210902001", "township", territory=township)
    registrar = f.user("registrar", (f.unit("C210900", "city", territory=city, kind="centre"), "registrar"))
    handler = f.user("handler", (office, "handler"))

    def new_case(title, **texts):
        return f.case(title, unit_row=office, actor=registrar, territory_code="210902001", **texts)

    return {"new_case": new_case, "registrar": registrar, "handler": handler}


def found(user, query: str) -> list[str]:
    """The titles the case list shows for `query`, newest first."""
    where = search.condition(search.parse({"q": query}), basis(utcnow()))
    return [row.title for row in service.list_visible(user, where=where)]


def test_a_two_character_query_finds_the_case_however_its_text_was_segmented(desk):
    # given 路灯不亮, which jieba's precise and search modes cut 路/灯不亮, and a case about noise
    desk["new_case"]("路灯不亮", description="晚上出行不便")
    desk["new_case"]("噪音扰民", description="广场舞音响太吵")
    # when the registrar searches 路灯, 噪音 or a part of a word, then the case is found
    assert found(desk["registrar"], "路灯") == ["路灯不亮"]
    assert found(desk["registrar"], "噪音") == ["噪音扰民"]
    assert found(desk["registrar"], "灯") == ["路灯不亮"]
    assert found(desk["registrar"], "音响") == ["噪音扰民"]  # in the description
    # and every word of a longer query must be there, wherever it stands
    assert found(desk["registrar"], "路灯不亮") == ["路灯不亮"]
    assert found(desk["registrar"], "路灯 广场舞") == []


def test_a_word_of_the_address_finds_the_case(desk):
    # given a case whose place is only in its address
    desk["new_case"]("井盖丢失", description="行人容易掉下去", address="幸福小区5号楼东侧")
    desk["new_case"]("路灯不亮", address="和平街12号")
    # when the registrar searches the compound's name, then that case is found
    assert found(desk["registrar"], "幸福小区") == ["井盖丢失"]
    assert found(desk["registrar"], "5号楼") == ["井盖丢失"]
    assert found(desk["registrar"], "和平街") == ["路灯不亮"]


def test_the_words_are_written_again_when_the_description_is_corrected(desk):
    # given a case registered with a misheard description
    case = desk["new_case"]("市民来电", description="小区噪音扰民")
    assert found(desk["registrar"], "噪音") == ["市民来电"]
    # when the registrar corrects the description
    service.correct(case.id, desk["registrar"], description="小区井盖丢失")
    # then the new words find it and the old ones no longer do
    assert found(desk["registrar"], "井盖") == ["市民来电"]
    assert found(desk["registrar"], "噪音") == []


def test_a_correction_is_checked_as_a_new_cases_texts_are(desk):
    case = desk["new_case"]("路灯不亮")
    with pytest.raises(InvalidData) as refused:
        service.correct(case.id, desk["registrar"], title=" ", address="长" * 201)
    assert set(refused.value.errors) == {"title", "address"}
    assert found(desk["registrar"], "路灯") == ["路灯不亮"]


def test_cases_registered_before_the_migration_are_found_after_its_backfill(desk):
    # given two cases whose words were never written (as before migration 0024)
    desk["new_case"]("路灯不亮", address="幸福小区")
    desk["new_case"]("噪音扰民")
    db.session.execute(update(Case).values(search_words=""))
    db.session.commit()
    assert found(desk["registrar"], "路灯") == []
    # when the migration's backfill runs, in batches smaller than the table
    with db.engine.begin() as connection:
        assert searchable.backfill(connection, batch=1) == 2
    # then the search finds them
    assert found(desk["registrar"], "路灯") == ["路灯不亮"]
    assert found(desk["registrar"], "幸福小区") == ["路灯不亮"]
    assert found(desk["registrar"], "噪音") == ["噪音扰民"]


def test_a_query_without_a_word_is_refused_under_its_field(desk, client):
    desk["new_case"]("路灯不亮")
    with pytest.raises(InvalidData) as refused:
        search.parse({"q": "，。！%_"})
    assert list(refused.value.errors) == ["q"]
    response = client.get("/api/v1/cases?q=%20-%20", headers=f.auth(client, "registrar"))
    assert response.status_code == 422 and list(response.json["errors"]) == ["q"]


def test_the_inbox_finds_words_of_the_description_and_a_part_of_the_number(desk):
    lamp = desk["new_case"]("市民来电", description="路灯不亮")
    desk["new_case"]("噪音扰民")
    at = basis(utcnow())
    assert [r.title for r in inbox(desk["handler"], InboxFilter(text="路灯"), at)] == ["市民来电"]
    assert [r.title for r in inbox(desk["handler"], InboxFilter(text=lamp.number[-6:]), at)] == ["市民来电"]
    assert inbox(desk["handler"], InboxFilter(text="，"), at) == []


def test_postgresql_keeps_every_word_whole_in_the_tsvector(desk):
    """PostgreSQL stores the words as a tsvector read from the words' string: each word must be a
    lexeme as it is (no quoting, splitting or dropping), or the two databases would answer
    differently."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's tsvector")
    sample = ("南京市长江大桥路灯不亮 WiFi６信号差 3号楼 e-mail: a.b@c.cn 1.5米 12345 C++ 与 C# 的 foo_bar；"
              "Ⅻ号 ｱｲｳ 사랑 Straße İstanbul 1e5 0x1F 'quoted' back\\slash a:1 b:*")
    case = desk["new_case"]("路灯", description=sample)
    stored = text("SELECT tsvector_to_array(search_words) FROM case_record WHERE id = :id")
    lexemes = db.session.scalar(stored, {"id": case.id})
    assert sorted(lexemes) == sorted(searchable.case_words("路灯", sample, None).split())
    for word in query_words(sample):
        assert found(desk["registrar"], word) == ["路灯"], word


def test_migration_0024_writes_the_words_of_the_cases_already_registered(tmp_path):
    # given a database at 0023 holding a case (SQLite only: the session's PostgreSQL database is
    # shared by the other tests; the backfill itself is tested on both above)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "TESTING": True})
    with app.app_context():
        upgrade(revision="0023")
        db.session.execute(text(
            "INSERT INTO case_record (number, title, description, address, status, channel, public,"
            " created_at, intake_answered, late_reply, returns, escalations, extensions, second_handled)"
            " VALUES"
            " ('HY20261201-000001', '路灯不亮', '晚上出行不便', '幸福小区', 'open', 'api', 0, '2026-12-01',"
            " 0, 0, 0, 0, 0, 0)"))
        db.session.commit()

        # when 0024 runs, then the case has its words and the search finds it
        upgrade(revision="0024")
        stored = db.session.scalar(text("SELECT search_words FROM case_record"))
        assert stored == searchable.case_words("路灯不亮", "晚上出行不便", "幸福小区")
        assert {*query_words("路灯"), *query_words("幸福小区")} <= set(stored.split())

        # and a downgrade takes the column away again
        downgrade(revision="0023")
        assert "search_words" not in {c["name"] for c in inspect(db.engine).get_columns("case_record")}
        db.session.remove()
        db.engine.dispose()
