from bot.catalogue.model import Service
from bot.routing import data
from bot.routing.cues import Cues
from bot.routing.normalise import Normaliser


def cues() -> Cues:
    return Cues(data.load("cues"), Normaliser(data.load("normalise")["replace"]))


def svc(**kw) -> Service:
    return Service(id="s", name="s", description="d", **kw)


def test_ages_decades_infants_and_stages_are_read():
    c = cues()
    assert (19, 19) in c.extract("19歳の息子").ages
    assert (80, 89) in c.extract("80代の母").ages
    f = c.extract("生後3か月の赤ちゃん")
    assert (0, 0) in f.ages and "乳幼児" in f.stages
    assert "妊娠中" in c.extract("妊娠中で不安").stages
    hs = c.extract("高校生の娘")
    assert "若者" in hs.stages and (15, 18) in hs.ages


def test_who_it_is_about():
    c = cues()
    assert c.extract("母の介護").about == "家族"
    assert c.extract("近所の人が心配").about == "近所"
    assert c.extract("仕事がない").about == "本人"


def test_fit_against_age_limits_and_life_stages():
    c = cues()
    young = svc(minimum_age=15, maximum_age=39)
    assert c.fit(c.extract("25歳の息子"), young) == 1.0
    assert c.fit(c.extract("45歳の息子"), young) == -1.0
    assert c.fit(c.extract("息子"), young) == 0.0
    baby = svc(life_stages=("妊娠中", "乳幼児"))
    assert c.fit(c.extract("妊娠中です"), baby) == 1.0
    assert c.fit(c.extract("80代の母"), baby) == -1.0
    assert c.fit(c.extract("80代の母"), svc()) == 0.0
