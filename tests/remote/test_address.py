"""Addresses: HOST:PORT parsed once; loopback unless the user says otherwise, with a token."""

from __future__ import annotations

import pytest

from loopviz.remote.address import Address, AddressError, check_exposure, parse_address


@pytest.mark.parametrize(("text", "expected"), [
    ("7341", Address("127.0.0.1", 7341)),
    ("127.0.0.1:7341", Address("127.0.0.1", 7341)),
    ("localhost:80", Address("localhost", 80)),
    ("[::1]:7341", Address("::1", 7341)),
    (":7341", Address("127.0.0.1", 7341)),
])
def test_an_address_is_host_and_port_and_a_bare_port_means_loopback(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("127.0.0.1:http", "must be a number"), ("127.0.0.1:70000", "between 1 and 65535"),
    ("::1:7341", "in brackets"), ("127.0.0.1:0", "between 1 and 65535"),
])
def test_a_bad_address_is_one_line_saying_what_is_wrong(text, says):
    with pytest.raises(AddressError, match=says) as caught:
        parse_address(text)
    assert "\n" not in str(caught.value)


def test_port_0_lets_the_system_choose_but_only_for_serving():
    assert parse_address("127.0.0.1:0", allow_any_port=True).port == 0


def test_only_loopback_is_served_without_the_flag_and_a_token():
    assert str(Address("::1", 80)) == "[::1]:80" and Address("::1", 80).loopback
    check_exposure(parse_address("127.0.0.1:1"), allow_remote=False, token=None)
    with pytest.raises(AddressError, match="--allow-remote"):
        check_exposure(parse_address("10.1.2.3:1"), allow_remote=False, token="long-enough")
    with pytest.raises(AddressError, match="needs a token"):
        check_exposure(parse_address("0.0.0.0:1"), allow_remote=True, token=None)
    with pytest.raises(AddressError, match="at least 8"):
        check_exposure(parse_address("0.0.0.0:1"), allow_remote=True, token="short")
    check_exposure(parse_address("0.0.0.0:1"), allow_remote=True, token="long-enough")
    assert not Address("example.org", 1).loopback, "a name could resolve anywhere"
