from communs.commons import services
from communs.core import eventlog


def test_flow(alice, bob, seed_library):
    c = services.contribution_submit(actor=bob, commons=seed_library, action="work", quantity="2.5",
                                     description="sorted seeds")
    c = services.contribution_accept(actor=alice, contribution=c)
    assert c.status == "accepted"
    assert eventlog.verify() == []
