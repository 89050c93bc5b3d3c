"""ListModels against a live server: every parameter alone and combined, keyset pages, tokens, paginators."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from emulator.settings import Settings
from tests.support import aws_post, running_server, sagemaker_client

T0 = 1_700_000_000  # whole seconds: boto3 sends timestamps to SageMaker in whole seconds
IMAGE = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0"}
ARN_PREFIX = "arn:aws:sagemaker:us-east-1:123456789012:model/"
INVALID_TOKEN = 'Invalid pagination token because "{0}".'


class Clock:
    """The server's time source, set by the test."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def names(response: dict[str, Any]) -> list[str]:
    return [m["ModelName"] for m in response["Models"]]


def create_raw(endpoint: str, model_names: list[str], *, threads: int = 4) -> None:
    """Many models quickly: raw awsJson1.1 requests on keep-alive connections, a few at a time."""

    def create(chunk: list[str]) -> None:
        headers = {"X-Amz-Target": "SageMaker.CreateModel", "Content-Type": "application/x-amz-json-1.1"}
        with httpx.Client(base_url=endpoint, timeout=30, headers=headers) as client:
            for name in chunk:
                reply = client.post("/", content=json.dumps({"ModelName": name, "PrimaryContainer": IMAGE}))
                assert reply.status_code == 200, reply.text

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, [model_names[i::threads] for i in range(threads)]))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked(make_settings: Any, clock: Clock) -> Iterator[str]:
    with running_server(make_settings(), clock=clock) as url:
        yield url


# Created one per second, in this order: names mix cases, hyphens and digits.
SEVEN = ["alpha", "Bravo", "charlie-1", "delta", "echo-2", "Foxtrot", "golf-alpha"]


def create_seven(endpoint: str, clock: Clock) -> Any:
    sm = sagemaker_client(endpoint)
    for i, name in enumerate(SEVEN):
        clock.now = T0 + i
        sm.create_model(ModelName=name, PrimaryContainer=IMAGE)
    return sm


@pytest.fixture(scope="module")
def seven(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The seven models on a server of this module, for tests that only read."""
    url = f"sqlite:///{tmp_path_factory.mktemp('seven') / 'emulator.db'}"
    clock = Clock()
    with running_server(Settings(database_url=url), clock=clock) as endpoint:
        yield create_seven(endpoint, clock)


NEWEST_FIRST = list(reversed(SEVEN))

PARAMETER_CASES = [
    ({}, NEWEST_FIRST),
    ({"SortOrder": "Descending"}, NEWEST_FIRST),
    ({"SortOrder": "Ascending"}, SEVEN),
    ({"SortBy": "CreationTime"}, NEWEST_FIRST),
    # Names sort by code point, as stored: capitals first.
    ({"SortBy": "Name"}, ["golf-alpha", "echo-2", "delta", "charlie-1", "alpha", "Foxtrot", "Bravo"]),
    (
        {"SortBy": "Name", "SortOrder": "Ascending"},
        ["Bravo", "Foxtrot", "alpha", "charlie-1", "delta", "echo-2", "golf-alpha"],
    ),
    ({"MaxResults": 100}, NEWEST_FIRST),
    ({"MaxResults": 3}, NEWEST_FIRST[:3]),
    ({"MaxResults": 1}, NEWEST_FIRST[:1]),
    ({"NameContains": "alpha"}, ["golf-alpha", "alpha"]),
    ({"NameContains": "ALPHA"}, ["golf-alpha", "alpha"]),  # case-insensitive, like names themselves
    ({"NameContains": "o"}, ["golf-alpha", "Foxtrot", "echo-2", "Bravo"]),
    ({"NameContains": "-"}, ["golf-alpha", "echo-2", "charlie-1"]),
    ({"NameContains": "golf-alpha"}, ["golf-alpha"]),
    ({"NameContains": "zulu"}, []),
    ({"CreationTimeBefore": at(T0 + 3)}, ["charlie-1", "Bravo", "alpha"]),  # strictly before
    ({"CreationTimeBefore": at(T0)}, []),
    ({"CreationTimeAfter": at(T0 + 3)}, ["golf-alpha", "Foxtrot", "echo-2", "delta"]),  # at or after
    ({"CreationTimeAfter": at(T0 + 7)}, []),
    ({"CreationTimeAfter": at(T0 + 2), "CreationTimeBefore": at(T0 + 5)}, ["echo-2", "delta", "charlie-1"]),
    ({"CreationTimeAfter": at(T0 + 5), "CreationTimeBefore": at(T0 + 2)}, []),
    (
        {"NameContains": "a", "SortBy": "Name", "SortOrder": "Ascending"},
        ["Bravo", "alpha", "charlie-1", "delta", "golf-alpha"],
    ),
    (
        {
            "NameContains": "A",
            "CreationTimeAfter": at(T0 + 1),
            "CreationTimeBefore": at(T0 + 6),
            "SortOrder": "Ascending",
        },
        ["Bravo", "charlie-1", "delta"],
    ),
    ({"NameContains": "o", "SortBy": "Name", "MaxResults": 2}, ["golf-alpha", "echo-2"]),
]


@pytest.mark.parametrize(("params", "expected"), PARAMETER_CASES, ids=[str(p) for p, _ in PARAMETER_CASES])
def test_each_parameter_alone_and_combined(seven: Any, params: dict[str, Any], expected: list[str]) -> None:
    listed = seven.list_models(**params)
    assert names(listed) == expected
    assert ("NextToken" in listed) == (
        params.get("MaxResults", 10) < len(seven.list_models(**{**params, "MaxResults": 100})["Models"])
    )


def test_summaries_carry_name_arn_and_creation_time(seven: Any) -> None:
    first = seven.list_models(MaxResults=1)["Models"][0]
    assert first == {"ModelName": "golf-alpha", "ModelArn": ARN_PREFIX + "golf-alpha", "CreationTime": at(T0 + 6)}
    bravo = seven.list_models(NameContains="bravo")["Models"][0]
    assert bravo["ModelArn"] == ARN_PREFIX + "bravo"  # the ARN holds the name in lower case


def test_default_page_size_is_ten(clocked: str) -> None:
    create_raw(clocked, [f"m{i:02d}" for i in range(11)], threads=1)
    sm = sagemaker_client(clocked)
    first = sm.list_models()
    assert len(first["Models"]) == 10
    rest = sm.list_models(NextToken=first["NextToken"])
    assert len(rest["Models"]) == 1 and "NextToken" not in rest


def test_times_are_compared_to_the_millisecond(clocked: str, clock: Clock) -> None:
    for name, t in [("early", T0 + 0.999), ("exact", T0 + 1.0), ("late", T0 + 1.001)]:
        clock.now = t
        assert aws_post(clocked, "CreateModel", {"ModelName": name, "PrimaryContainer": IMAGE}).status_code == 200
    for filters, expected in [
        ({"CreationTimeBefore": T0 + 1}, ["early"]),
        ({"CreationTimeBefore": T0 + 1.0005}, ["exact", "early"]),
        ({"CreationTimeBefore": T0 + 1.001}, ["exact", "early"]),
        ({"CreationTimeAfter": T0 + 1}, ["late", "exact"]),
        ({"CreationTimeAfter": T0 + 1.0005}, ["late"]),
        ({"CreationTimeAfter": T0 + 0.9989}, ["late", "exact", "early"]),
        ({"CreationTimeAfter": 1e300}, []),
        ({"CreationTimeBefore": -1e300}, []),
    ]:
        reply = aws_post(clocked, "ListModels", filters)
        assert reply.status_code == 200, reply.text
        listed = reply.json()
        assert [m["ModelName"] for m in listed["Models"]] == expected, filters
    assert aws_post(clocked, "ListModels", {"NameContains": "exact"}).json()["Models"][0]["CreationTime"] == T0 + 1.0


def test_equal_creation_times_sort_stably_in_creation_order(clocked: str, clock: Clock) -> None:
    sm = sagemaker_client(clocked)
    created = ["m-c", "m-a", "m-e", "m-b", "m-d", "m-f", "m-g"]
    for name in created:  # one millisecond for all of them
        sm.create_model(ModelName=name, PrimaryContainer=IMAGE)
    for order, expected in [("Ascending", created), ("Descending", list(reversed(created)))]:
        for _ in range(3):  # the same answer every time, whatever the page size
            assert names(sm.list_models(SortOrder=order)) == expected
            walked = [
                n
                for page in sm.get_paginator("list_models").paginate(SortOrder=order, PaginationConfig={"PageSize": 2})
                for n in names(page)
            ]
            assert walked == expected


@pytest.mark.parametrize("sort_by", ["Name", "CreationTime"])
@pytest.mark.parametrize("order", ["Ascending", "Descending"])
@pytest.mark.parametrize("page_size", [1, 4, 100])
def test_botocore_paginator_walks_the_whole_set(seven: Any, sort_by: str, order: str, page_size: int) -> None:
    pages = list(
        seven.get_paginator("list_models").paginate(
            SortBy=sort_by, SortOrder=order, PaginationConfig={"PageSize": page_size}
        )
    )
    walked = [n for page in pages for n in names(page)]
    assert walked == names(seven.list_models(SortBy=sort_by, SortOrder=order, MaxResults=100))
    assert len(pages) == -(-len(SEVEN) // page_size)
    assert "NextToken" not in pages[-1]


def test_paginator_with_filters_and_max_items(seven: Any) -> None:
    paginator = seven.get_paginator("list_models")
    filtered = paginator.paginate(NameContains="A", CreationTimeAfter=at(T0 + 1), PaginationConfig={"PageSize": 1})
    assert [n for page in filtered for n in names(page)] == ["golf-alpha", "delta", "charlie-1", "Bravo"]
    first = paginator.paginate(PaginationConfig={"MaxItems": 3, "PageSize": 2}).build_full_result()
    assert names(first) == NEWEST_FIRST[:3]
    rest = paginator.paginate(PaginationConfig={"StartingToken": first["NextToken"], "PageSize": 2}).build_full_result()
    assert names(rest) == NEWEST_FIRST[3:]


def test_max_results_can_change_between_pages(seven: Any) -> None:
    first = seven.list_models(MaxResults=2, SortBy="Name")
    second = seven.list_models(MaxResults=4, SortBy="Name", NextToken=first["NextToken"])
    assert names(first) + names(second) == ["golf-alpha", "echo-2", "delta", "charlie-1", "alpha", "Foxtrot"]


def tamper(token: str, index: int) -> str:
    flipped = "A" if token[index] != "A" else "B"
    return token[:index] + flipped + token[index + 1 :]


def test_bad_tokens_are_validation_errors(clocked: str, clock: Clock) -> None:
    seven = create_seven(clocked, clock)
    token = seven.list_models(MaxResults=2, NameContains="a")["NextToken"]
    assert seven.list_models(MaxResults=2, NameContains="a", NextToken=token)["Models"]
    other_region = sagemaker_client(clocked, region="us-west-2")
    other_region.create_model(ModelName="alpha", PrimaryContainer=IMAGE)
    cases: list[tuple[Any, dict[str, Any]]] = [
        (seven, {"NameContains": "a", "NextToken": tamper(token, 0)}),  # the cursor altered
        (seven, {"NameContains": "a", "NextToken": tamper(token, len(token) - 2)}),  # the signature altered
        (seven, {"NameContains": "a", "NextToken": token[:-1]}),
        (seven, {"NameContains": "a", "NextToken": token + "x"}),
        (seven, {"NameContains": "a", "NextToken": "asdf"}),
        (seven, {"NameContains": "a", "NextToken": "ünïcode.☃"}),
        (seven, {"NameContains": "a", "NextToken": "."}),
        (seven, {"NextToken": token}),  # another query: no filter
        (seven, {"NameContains": "b", "NextToken": token}),
        (seven, {"NameContains": "a", "SortBy": "Name", "NextToken": token}),
        (seven, {"NameContains": "a", "SortOrder": "Ascending", "NextToken": token}),
        (seven, {"NameContains": "a", "CreationTimeAfter": at(T0), "NextToken": token}),
        (other_region, {"NameContains": "a", "NextToken": token}),
    ]
    for client, params in cases:
        with pytest.raises(ClientError) as caught:
            client.list_models(MaxResults=2, **params)
        assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": INVALID_TOKEN}, params


def test_an_empty_token_starts_at_the_first_page(seven: Any) -> None:
    assert names(seven.list_models(NextToken="")) == NEWEST_FIRST


def test_replicas_of_one_database_accept_each_others_tokens(make_settings: Any, clocked: str, clock: Clock) -> None:
    seven = create_seven(clocked, clock)
    token = seven.list_models(MaxResults=3)["NextToken"]
    with running_server(make_settings()) as replica:
        assert names(sagemaker_client(replica).list_models(NextToken=token)) == NEWEST_FIRST[3:]
    with running_server(make_settings(token_secret="another secret")) as stranger:
        with pytest.raises(ClientError) as caught:
            sagemaker_client(stranger).list_models(NextToken=token)
        assert caught.value.response["Error"]["Message"] == INVALID_TOKEN


LIST_VALIDATION_CASES = [
    (
        {"MaxResults": 0},
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ),
    (
        {"MaxResults": 101},
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    ),
    (
        {"SortBy": "Size", "SortOrder": "Up"},
        "2 validation errors detected: Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [Name, CreationTime]; Value 'Up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]",
    ),
    (
        {"NameContains": "a_b"},
        "1 validation error detected: Value 'a_b' at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-]+",
    ),
    (
        {"NameContains": "%"},
        "1 validation error detected: Value '%' at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-]+",
    ),
]


@pytest.mark.parametrize(("params", "message"), LIST_VALIDATION_CASES)
def test_invalid_input_is_rejected_with_aws_messages(sm: Any, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as caught:
        sm.list_models(**params)
    assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": message}


def test_a_string_timestamp_is_a_serialization_error(endpoint: str) -> None:
    reply = aws_post(endpoint, "ListModels", {"CreationTimeBefore": "yesterday"})
    assert reply.status_code == 400
    assert reply.json() == {
        "__type": "SerializationException",
        "message": "STRING_VALUE can not be converted to milliseconds since epoch",
    }


def test_listing_is_scoped_to_account_and_region(endpoint: str) -> None:
    east, west = sagemaker_client(endpoint), sagemaker_client(endpoint, region="us-west-2")
    east.create_model(ModelName="east-model", PrimaryContainer=IMAGE)
    west.create_model(ModelName="west-model", PrimaryContainer=IMAGE)
    assert names(east.list_models()) == ["east-model"]
    assert [m["ModelArn"] for m in west.list_models()["Models"]] == [
        "arn:aws:sagemaker:us-west-2:123456789012:model/west-model"
    ]


def walk_with_changes(sm: Any, endpoint: str, params: dict[str, Any], *, fresh: Iterator[str]) -> None:
    """Walks every page while deleting seen and unseen models and creating new ones between pages.

    Every model that exists for the whole walk is returned exactly once; a model deleted before its page is never
    returned; nothing is returned twice.
    """
    before = {
        n for page in sm.get_paginator("list_models").paginate(PaginationConfig={"PageSize": 100}) for n in names(page)
    }
    seen: list[str] = []
    deleted: set[str] = set()
    created: set[str] = set()
    token: str | None = None
    page_number = 0
    while True:
        page = sm.list_models(MaxResults=100, **params, **({"NextToken": token} if token else {}))
        got = names(page)
        assert not deleted.intersection(got)
        seen.extend(got)
        token = page.get("NextToken")
        if token is None:
            break
        page_number += 1
        unseen = sorted(before - set(seen) - deleted)
        for victim in unseen[page_number::97][:3] + seen[-2:]:
            sm.delete_model(ModelName=victim)
            deleted.add(victim)
        new = [next(fresh) for _ in range(4)]
        create_raw(endpoint, new, threads=2)
        created.update(new)
    assert len(seen) == len(set(seen)), "a model was returned twice"
    assert (before - deleted) <= set(seen), "a model that existed throughout was skipped"
    assert set(seen) <= before | created


def test_pages_stay_consistent_across_1000_models_with_creates_and_deletes(endpoint: str, sm: Any) -> None:
    create_raw(endpoint, [f"model-{i:04d}" for i in range(1000)])
    assert sum(len(p["Models"]) for p in sm.get_paginator("list_models").paginate()) == 1000
    counter = iter(range(10_000))
    # New names land before, among and after the cursor in name order; in time order they are all newest.
    fresh = (f"{prefix}-{next(counter)}" for _ in iter(int, 1) for prefix in ("aaa", "model-0500x", "zzz"))
    # Both keys and both directions (the other two combinations walk the same indexes).
    for params in ({}, {"SortBy": "Name", "SortOrder": "Ascending"}):
        walk_with_changes(sm, endpoint, params, fresh=fresh)
