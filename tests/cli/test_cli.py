"""The `communs` command: exit codes, messages, and `log verify` catching a tampered event."""

from __future__ import annotations

import pytest

from communs.accounts.models import ApiToken
from communs.accounts.selectors import user_for_token
from communs.cli.main import main
from communs.commons import services
from communs.core.models import Event

pytestmark = pytest.mark.django_db


def test_user_and_token_create(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "user",
                "create",
                "zoe",
                "--email",
                "zoe@example.org",
                "--password",
                "a long enough passphrase",
            ]
        )
        == 0
    )
    assert "Created user zoe" in capsys.readouterr().out
    assert main(["token", "create", "zoe"]) == 0
    token = capsys.readouterr().out.strip()
    user = user_for_token(token)
    assert user is not None
    assert user.username == "zoe"
    assert not ApiToken.objects.filter(digest=token).exists()


def test_user_create_without_password_generates_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "create", "yan", "--email", "yan@example.org"]) == 0
    assert "Password: " in capsys.readouterr().out


def test_user_errors_exit_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "user",
                "create",
                "Bad Name",
                "--email",
                "x@example.org",
                "--password",
                "a long enough passphrase",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("communs: username:")
    assert err.count("\n") == 1
    assert main(["token", "create", "nobody"]) == 1
    assert "nobody" in capsys.readouterr().err


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["user", "create"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_log_verify_passes_then_names_the_tampered_event(
    alice, bob, seed_library, capsys: pytest.CaptureFixture[str]
) -> None:
    contribution = services.contribution_submit(
        actor=bob, commons=seed_library, action="work", quantity="4", description="Planting"
    )
    services.contribution_accept(actor=alice, contribution=contribution)
    assert main(["log", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK")

    submitted = Event.objects.get(
        stream_id="commons:seed-library", body__kind="contribution.submitted"
    )
    body = dict(submitted.body)
    body["data"] = {**body["data"], "quantity": "400"}
    Event.objects.filter(pk=submitted.pk).update(body=body)

    assert main(["log", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"event {submitted.pk} (seq {submitted.seq})" in err
    assert "commons:seed-library" in err
    assert main(["log", "verify", "--stream", "instance"]) == 0


def test_log_verify_of_an_unknown_stream_is_a_user_error(
    seed_library, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log", "verify", "--stream", "commons:no-such-commons"]) == 1
    err = capsys.readouterr().err
    assert err == "communs: No event stream is named 'commons:no-such-commons'.\n"


def test_log_verify_counts_the_streams_it_checked(
    seed_library, other_commons, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK: 3 stream(s) verified")
    assert main(["log", "verify", "--stream", "commons:other"]) == 0
    assert capsys.readouterr().out.startswith("OK: 1 stream(s) verified")
