"""R2 routing catalogue: category × territory × level → unit, nearest territory first, exact category
before any category, and a platform-centre fallback that never raises."""
import pytest
from flask_babel import force_locale

from app.organisation.routing import ancestors, resolve
from tests import factories as f


@pytest.fixture
def tree(app):
    """city C → county K → township T → village V, and a second county K2 with a village V2."""
    city = f.territory("100000", "city")
    county = f.territory("100100", "county", city)
    township = f.territory("100100001", "township", county)
    village = f.territory("100100001001", "village", township)
    county2 = f.territory("100200", "county", city)
    village2 = f.territory("100200001001", "village", f.territory("100200001", "township", county2))
    return {"city": city, "county": county, "township": township, "village": village,
            "county2": county2, "village2": village2}


def test_R2_ancestors_are_listed_nearest_first(tree):
    # when
    chain = ancestors(tree["village"])
    # then
    assert [t.code for t in chain] == ["100100001001", "100100001", "100100", "100000"]


def test_R2_routing_prefers_the_exact_category_at_the_nearest_territory(tree):
    # given an any-category rule and a rule for "land" on the same county
    land, noise = f.category("land", "development"), f.category("noise")
    centre = f.unit("K-CENTER", "county", territory=tree["county"], kind="centre")
    bureau = f.unit("K-ZRJ", "county", territory=tree["county"], kind="department")
    f.routing_rule(tree["county"], "county", centre)
    exact = f.routing_rule(tree["county"], "county", bureau, land)
    # when / then: "land" goes to the department, anything else to the centre
    routing = resolve(land.id, tree["county"], "county")
    assert (routing.unit.code, routing.rule_id, routing.fallback) == ("K-ZRJ", exact.id, False)
    assert resolve(noise.id, tree["county"], "county").unit.code == "K-CENTER"
    assert resolve(None, tree["county"], "county").unit.code == "K-CENTER"


def test_R2_routing_prefers_a_nearer_territory_even_over_an_exact_category_farther_up(tree):
    # given a city-wide county-level rule sends "land" to a city department, while this county's
    # own county-level rule takes any category
    land = f.category("land", "development")
    city_bureau = f.unit("C-ZRJ", "city", territory=tree["city"], kind="department")
    county_centre = f.unit("K-CENTER", "county", territory=tree["county"], kind="centre")
    f.routing_rule(tree["city"], "county", city_bureau, land)
    f.routing_rule(tree["county"], "county", county_centre)
    # when
    routing = resolve(land.id, tree["village"], "county")
    # then the nearer county rule wins; elsewhere the city's rule still applies
    assert routing.unit.code == "K-CENTER" and not routing.fallback
    assert resolve(land.id, tree["village2"], "county").unit.code == "C-ZRJ"
    assert "100100" in routing.reason


def test_R2_a_rule_on_a_county_applies_to_its_villages_and_not_to_other_counties(tree):
    # given
    lighting = f.category("lighting")
    office = f.unit("K-ZFJ", "county", territory=tree["county"], kind="department")
    f.routing_rule(tree["county"], "county", office, lighting)
    # when
    here = resolve(lighting.id, tree["village"], "county")
    elsewhere = resolve(lighting.id, tree["village2"], "county")
    # then
    assert here.unit.code == "K-ZFJ" and not here.fallback
    assert elsewhere.unit is None and elsewhere.fallback


def test_R2_rules_of_another_level_do_not_match(tree):
    # given a village committee for level village only
    committee = f.unit("V", "village", territory=tree["village"], kind="committee")
    f.routing_rule(tree["village"], "village", committee)
    f.unit("K-CENTER", "county", territory=tree["county"], kind="centre")
    # when
    routing = resolve(None, tree["village"], "township")
    # then
    assert routing.unit.code == "K-CENTER" and routing.fallback


def test_R2_a_missing_entry_falls_back_to_the_nearest_platform_centre_with_a_reason(tree):
    # given centres on the city and the county but no rule at all
    wages = f.category("wages")
    f.unit("C-CENTER", "city", territory=tree["city"], kind="centre")
    f.unit("K-CENTER", "county", territory=tree["county"], kind="centre")
    f.unit("T", "township", territory=tree["township"], kind="office")  # not a centre
    # when
    with force_locale("en"):
        routing = resolve(wages.id, tree["village"], "township")
    # then the county's centre dispatches it by hand
    assert routing.unit.code == "K-CENTER"
    assert routing.fallback and routing.rule_id is None
    assert "No routing rule" in routing.reason and "Township" in routing.reason
    # and in the other county the city centre is the nearest
    assert resolve(wages.id, tree["village2"], "county").unit.code == "C-CENTER"


def test_R2_no_rule_and_no_centre_gives_no_unit_and_no_exception(tree):
    # given nothing at all
    # when
    with force_locale("en"):
        routing = resolve(None, tree["village"], "village")
    # then
    assert routing.unit is None and routing.rule_id is None and routing.fallback
    assert "no platform centre" in routing.reason
