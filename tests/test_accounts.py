"""Accounts (`privacy/accounts.py`): which login may sign in, in which role; managed with
`burnout account`, and gone with the person when they are erased."""

import pytest

from burnout_lib.errors import InvalidInput, NotFound, NotSignedIn
from burnout_lib.privacy.accounts import (
    ANALYST,
    MANAGER,
    OCCUPATIONAL_HEALTH,
    STAFF,
    add_account,
    list_accounts,
    remove_account,
    viewer_for,
)
from burnout_lib.privacy.consent import erase_person
from burnout_lib.store import db

from helpers import small_hospital as H


def test_each_role_is_stored_and_read_back(small_hospital) -> None:
    add_account(small_hospital, "n2@h", STAFF, pseudonym="nurse-02")
    add_account(small_hospital, "lead@h", MANAGER, units=["Ward A", "Tiny unit", "Ward A"])
    add_account(small_hospital, "oh@h", OCCUPATIONAL_HEALTH)
    add_account(small_hospital, "an@h", ANALYST)
    with small_hospital.connect() as connection:
        nurse = viewer_for(connection, " n2@h ")
        lead = viewer_for(connection, "lead@h")
        assert (nurse.role, nurse.pseudonym, nurse.units) == (STAFF, "nurse-02", ())
        assert (lead.role, lead.pseudonym, lead.units) == (MANAGER, None, ("Ward A", "Tiny unit"))
        assert viewer_for(connection, "oh@h").sees_every_unit
        assert viewer_for(connection, "an@h").sees_every_unit
        assert not lead.sees_every_unit and not nurse.sees_every_unit
        logins = [viewer.login for viewer in list_accounts(connection)]
    assert logins == sorted(logins) and {"n2@h", "lead@h", "oh@h", "an@h"} <= set(logins)


def test_adding_again_changes_the_role_of_the_same_login(small_hospital) -> None:
    add_account(small_hospital, "x@h", MANAGER, units=["Ward A"])
    add_account(small_hospital, "x@h", ANALYST)
    with small_hospital.connect() as connection:
        assert viewer_for(connection, "x@h").role == ANALYST
    assert db.row_counts(small_hospital)["account"] == len(H.ACCOUNTS) + 1


@pytest.mark.parametrize(
    ("login", "role", "pseudonym", "units", "error", "message"),
    [
        ("", ANALYST, None, (), InvalidInput, "must not be empty"),
        ("a" * 201, ANALYST, None, (), InvalidInput, "longer than 200"),
        ("bad\nlogin", ANALYST, None, (), InvalidInput, "control characters"),
        ("x@h", "admin", None, (), InvalidInput, "unknown role 'admin'"),
        ("x@h", STAFF, None, (), InvalidInput, "needs a pseudonym"),
        ("x@h", ANALYST, "nurse-01", (), InvalidInput, "only a staff account"),
        ("x@h", MANAGER, None, (), InvalidInput, "at least one unit"),
        ("x@h", OCCUPATIONAL_HEALTH, None, ("Ward A",), InvalidInput, "only a manager"),
        ("x@h", STAFF, "nobody-here", (), NotFound, "nobody-here"),
        ("x@h", MANAGER, None, ("Ward Z",), NotFound, "Ward Z"),
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_stored(
    small_hospital, login, role, pseudonym, units, error, message
) -> None:
    with pytest.raises(error, match=message):
        add_account(small_hospital, login, role, pseudonym=pseudonym, units=units)
    assert db.row_counts(small_hospital)["account"] == len(H.ACCOUNTS)


def test_without_a_login_or_an_account_nobody_is_signed_in(small_hospital) -> None:
    with small_hospital.connect() as connection:
        for login in (None, "", "  "):
            with pytest.raises(NotSignedIn, match="not signed in"):
                viewer_for(connection, login)
        with pytest.raises(NotSignedIn, match="not registered"):
            viewer_for(connection, H.VISITOR)


def test_removing_an_account_signs_the_login_out(small_hospital) -> None:
    remove_account(small_hospital, H.MANAGER_LOGIN)
    with small_hospital.connect() as connection, pytest.raises(NotSignedIn):
        viewer_for(connection, H.MANAGER_LOGIN)
    with pytest.raises(NotFound, match=H.MANAGER_LOGIN):
        remove_account(small_hospital, H.MANAGER_LOGIN)


def test_erasing_a_person_removes_their_account_and_no_other(small_hospital, settings) -> None:
    report = erase_person(small_hospital, settings, "nurse-01")
    assert report.rows["account"] == 1
    with small_hospital.connect() as connection:
        with pytest.raises(NotSignedIn):
            viewer_for(connection, H.NURSE_LOGIN)
        assert viewer_for(connection, H.RESIDENT_LOGIN).pseudonym == "resident-01"


def test_the_account_commands(cli, small_hospital) -> None:
    added = cli("account", "add", "lead.both@h", "--manager", "Ward A,Tiny unit")
    assert added.stdout == "account lead.both@h (manager: Ward A, Tiny unit)\n"
    assert cli("account", "add", "n3@h", "--staff", "nurse-03").stdout.endswith(
        "(staff: nurse-03)\n"
    )
    listed = cli("account", "list").stdout.splitlines()
    assert "lead.both@h (manager: Ward A, Tiny unit)" in listed
    assert f"{H.OH_LOGIN} (occupational health)" in listed
    assert cli("account", "remove", "n3@h").stdout == "removed the account of n3@h\n"
    erased = cli("erase", "resident-01").stdout
    assert "account 1" in erased
    assert H.RESIDENT_LOGIN not in cli("account", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("account", "add", "x@h", "--staff", "nobody-here"), "nobody-here"),
        (("account", "add", "x@h", "--manager", "Ward Z"), "no staff in unit(s) 'Ward Z'"),
        (("account", "remove", "nobody@h"), "no account for login 'nobody@h'"),
    ],
)
def test_account_command_errors_are_one_line(cli, small_hospital, args, message) -> None:
    result = cli(*args, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert message in result.stderr


def test_an_account_needs_exactly_one_role(cli, small_hospital) -> None:
    both = cli("account", "add", "x@h", "--analyst", "--occupational-health", check=False)
    none = cli("account", "add", "x@h", check=False)
    assert both.returncode == 2 and none.returncode == 2
