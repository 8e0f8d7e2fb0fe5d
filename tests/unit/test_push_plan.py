"""Push plans and their execution against an in-memory fake of Lambda (no AWS at all).

The fakes here are shared by the other phase-two unit tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twophase.aws.lambda_client import AliasState, CodeSource, FunctionState, VersionInUse
from twophase.build.detzip import Entry, build_zip, hex_sha256
from twophase.build.detzip import code_sha256 as sha_of
from twophase.build.model import Artifact
from twophase.cli.push import summary
from twophase.config.model import Config, Environment, Function
from twophase.errors import (
    AccessDeniedError,
    ConflictError,
    ExitStatus,
    NotFoundError,
    UsageError,
)
from twophase.release.context import Scope
from twophase.release.ports import ArtifactUploads
from twophase.release.push import PushOptions, push
from twophase.release.push_apply import apply_push
from twophase.release.push_plan import MoveAlias, Publish, PushDeps, UpdateCode, Upload, plan_push
from twophase.release.release_record import GitReader, ReleaseRecord, decode_history
from twophase.release.rollback import RollbackDeps
from twophase.reporter import RecordingReporter

FN = "shop-dev-api"
CALLER = "arn:aws:sts::123456789012:assumed-role/dev/alice"


def state(version: str, sha: str, revision: str = "r1", description: str = "") -> FunctionState:
    return FunctionState(FN, version, sha, revision, "Successful", "", description, "")


@dataclass
class FakeLambda:
    """One function's remote state; writes check RevisionId and CodeSha256 like Lambda does."""

    latest: FunctionState
    versions: dict[str, FunctionState] = field(default_factory=dict)
    aliases: dict[str, AliasState] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    published_from: dict[str, str] = field(default_factory=dict)  # $LATEST revision -> version
    revision: int = 1
    deleted: int = 0  # versions deleted (prune)

    def _next_revision(self) -> str:
        self.revision += 1
        return f"r{self.revision}"

    def connect(self) -> None:
        pass

    def get_configuration(self, function: str, qualifier: str | None = None) -> FunctionState:
        self.reads.append(f"GetFunctionConfiguration {qualifier or '$LATEST'}")
        if function != FN:
            raise NotFoundError(f"{function} not found")
        if qualifier is None:
            return self.latest
        if qualifier in self.aliases:
            return self.versions[self.aliases[qualifier].function_version]
        if qualifier not in self.versions:  # as Lambda: ResourceNotFoundException
            raise NotFoundError(f"{function}:{qualifier} not found")
        return self.versions[qualifier]

    def get_alias(self, function: str, alias: str) -> AliasState:
        self.reads.append(f"GetAlias {alias}")
        return self.aliases[alias]

    def list_aliases(self, function: str) -> list[AliasState]:
        return list(self.aliases.values())

    def list_versions(self, function: str, *, include_latest: bool = False) -> list[FunctionState]:
        return ([self.latest] if include_latest else []) + list(self.versions.values())

    def update_code(
        self, function: str, source: CodeSource, revision_id: str, *, code_sha256: str = ""
    ) -> FunctionState:
        self.writes.append(f"UpdateFunctionCode {revision_id}")
        if revision_id != self.latest.revision_id:
            raise ConflictError(f"{function} changed under you")
        data = source.zip_bytes or b""
        self.latest = replace(
            self.latest, code_sha256=sha_of(data), revision_id=self._next_revision()
        )
        return self.latest

    def update_configuration(self, **settings: object) -> None:
        """What phase one does: change `$LATEST`'s configuration (and its revision)."""
        merged = {**self.latest.settings, **settings}
        self.latest = replace(self.latest, settings=merged, revision_id=self._next_revision())

    def wait_active(self, function: str, qualifier: str | None = None) -> FunctionState:
        self.reads.append(f"wait Active {qualifier or '$LATEST'}")
        if qualifier is None:
            self.latest = replace(self.latest, state="Active")
            return self.latest
        self.versions[qualifier] = replace(self.versions[qualifier], state="Active")
        return self.versions[qualifier]

    def publish_version(
        self, function: str, *, code_sha256: str, revision_id: str, description: str
    ) -> FunctionState:
        self.writes.append(f"PublishVersion {code_sha256} {revision_id}")
        if revision_id != self.latest.revision_id or code_sha256 != self.latest.code_sha256:
            raise ConflictError(f"{function} changed under you")
        if revision_id in self.published_from:  # like Lambda: nothing new since, same version
            return self.versions[self.published_from[revision_id]]
        number = str(len(self.versions) + self.deleted + 1)  # deleted numbers are not reused
        self.versions[number] = replace(
            self.latest, version=number, description=description, revision_id="v" + number
        )
        self.published_from[revision_id] = number
        return self.versions[number]

    def delete_version(self, function: str, version: str) -> None:
        """Like Lambda: a version an alias routes to is a 409, a missing one a 404."""
        self.writes.append(f"DeleteFunction {version}")
        routed = [
            a.name for a in self.aliases.values() if version in (a.function_version, *a.weights)
        ]
        if routed:
            raise VersionInUse(f"aliases reference it: {routed}")
        if version not in self.versions:
            raise NotFoundError(f"{function}:{version} not found")
        del self.versions[version]
        self.deleted += 1

    def update_alias(
        self,
        function: str,
        alias: str,
        *,
        version: str,
        revision_id: str,
        weights: dict[str, float] | None = None,
        description: str | None = None,
    ) -> AliasState:
        self.writes.append(f"UpdateAlias {alias} {version} {dict(weights or {})}")
        current = self.aliases[alias]
        if revision_id != current.revision_id:
            raise ConflictError(f"alias {alias} changed under you")
        self.aliases[alias] = AliasState(
            alias,
            version,
            self._next_revision(),
            current.description if description is None else description,
            dict(weights or {}),
        )
        return self.aliases[alias]


@dataclass
class FakeStore:
    objects: dict[str, int] = field(default_factory=dict)

    def exists(self, bucket: str, key: str) -> bool:
        return f"{bucket}/{key}" in self.objects

    def put(
        self,
        bucket: str,
        key: str,
        path: Path,
        *,
        code_sha256: str,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        data = path.read_bytes()
        for sent in range(0, len(data) + 1, max(1, len(data) // 4)):
            if on_progress is not None:
                on_progress(sent)
        self.objects[f"{bucket}/{key}"] = len(data)


class FakeIdentity:
    def arn(self) -> str:
        return CALLER


DUMMY = build_zip([Entry("app.py", b"raise RuntimeError\n")])


def fresh_lambda() -> FakeLambda:
    v1 = state("1", sha_of(DUMMY))
    return FakeLambda(
        latest=state("$LATEST", sha_of(DUMMY)),
        versions={"1": v1},
        aliases={"next": AliasState("next", "1", "a1"), "live": AliasState("live", "1", "a1")},
    )


NOW = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


def make_scope(tmp_path: Path) -> Scope:
    config = Config(
        app="shop",
        path=tmp_path / "twophase.yml",
        environments={"dev": Environment(region="eu-west-1")},
        functions={"api": Function(name="api", handler="app.handler")},
    )
    return Scope(config, "dev")


def make_ctx(tmp_path: Path, lam: FakeLambda, *, store: ArtifactUploads | None = None) -> PushDeps:
    """A push's dependencies, on fakes."""
    return PushDeps(
        scope=make_scope(tmp_path),
        lambda_=lam,
        artifacts=store or FakeStore(),
        identity=FakeIdentity(),
        git=GitReader(tmp_path),  # not a repository: no commit recorded
        bucket=lambda: "artifacts",
        reporter=RecordingReporter(),
        now=lambda: NOW,
    )


def make_rollback(
    tmp_path: Path, lam: FakeLambda, dummies: Mapping[str, str] | None = None
) -> RollbackDeps:
    """A rollback's dependencies, on fakes (`dummies`: phase one's record of them)."""
    return RollbackDeps(
        make_scope(tmp_path), lam, RecordingReporter(), dummies=lambda: dummies or {}
    )


def artifact(
    tmp_path: Path, body: bytes = b"def handler(e, c):\n    return 1\n", **kw: object
) -> Artifact:
    data = build_zip([Entry("app.py", body)])
    path = tmp_path / f"{hex_sha256(data)}.zip"
    path.write_bytes(data)
    made = Artifact(path, len(data), sha_of(data), hex_sha256(data), "zip", None, len(body), False)
    made = replace(made, entries={"app.py": False})
    return replace(made, **kw)  # type: ignore[arg-type]


def test_a_change_plans_update_publish_move(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    plan = plan_push(make_ctx(tmp_path, lam), "api", art)
    assert plan.steps == (
        UpdateCode(FN, "zip", "r1"),
        Publish(FN, art.code_sha256),
        MoveAlias(FN, "next", "1", "a1", ("1",)),
    )
    assert (
        plan.describe()[2]
        == "move alias next of shop-dev-api from v1 to the new version (revision a1)"
    )
    assert lam.writes == []


def test_apply_publishes_only_the_uploaded_code_and_records_the_release(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    ctx = make_ctx(tmp_path, lam)
    result = apply_push(ctx, plan_push(ctx, "api", art))
    assert lam.writes == [
        "UpdateFunctionCode r1",
        f"PublishVersion {art.code_sha256} r2",
        "UpdateAlias next 2 {}",
    ]
    assert (result.version, result.previous_version, result.unchanged) == ("2", "1", False)
    record = ReleaseRecord.decode(lam.versions["2"].description)
    assert record == ReleaseRecord(art.hexdigest[:16], CALLER, "2026-05-06T07:08:09Z", "1")
    assert decode_history(lam.aliases["next"].description) == ["1"]
    assert summary(result).startswith(f"api  v2 → next  (sha {art.code_sha256[:8]}…, ")


def test_pushing_the_same_code_again_reads_two_things_and_writes_nothing(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", art))
    lam.reads.clear()

    again = apply_push(ctx, plan_push(ctx, "api", art))

    assert again.unchanged and again.version == "2"
    assert sorted(lam.reads) == ["GetAlias next", "GetFunctionConfiguration $LATEST"]
    assert len(lam.writes) == 3  # the first push's


def test_without_a_record_the_served_version_is_read(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", art))
    lam.aliases["next"] = replace(lam.aliases["next"], description="moved by hand")
    lam.reads.clear()

    plan = plan_push(ctx, "api", art)

    assert plan.unchanged
    assert lam.reads[-1] == "GetFunctionConfiguration 2"


def test_a_record_for_another_version_is_not_believed(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", art))
    # Someone points `next` back at the dummy (v1) and leaves the record of v2 in place.
    lam.aliases["next"] = replace(lam.aliases["next"], function_version="1")

    plan = plan_push(ctx, "api", art)

    assert [type(s) for s in plan.steps] == [Publish, MoveAlias]


def test_pushing_onto_an_alias_that_splits_traffic_sends_it_all_to_the_code(
    tmp_path: Path,
) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", art))
    lam.aliases["next"] = replace(lam.aliases["next"], weights={"1": 0.5})  # half on the dummy

    plan = plan_push(ctx, "api", art)
    result = apply_push(ctx, plan)

    assert not plan.unchanged and [type(s) for s in plan.steps] == [Publish, MoveAlias]
    assert "ending its traffic split" in plan.describe()[-1]
    assert result.version == "2"  # PublishVersion gave back v2: nothing changed since
    assert (lam.aliases["next"].function_version, lam.aliases["next"].weights) == ("2", {})


def test_code_already_on_latest_is_published_without_another_update(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path)
    lam.latest = state("$LATEST", art.code_sha256, "r7")
    plan = plan_push(make_ctx(tmp_path, lam), "api", art)
    assert [type(s) for s in plan.steps] == [Publish, MoveAlias]
    apply_push(make_ctx(tmp_path, lam), plan)
    assert lam.writes[0] == f"PublishVersion {art.code_sha256} r7"


def test_large_artifacts_go_through_the_bucket_once(tmp_path: Path) -> None:
    lam = fresh_lambda()
    art = artifact(tmp_path, needs_s3=True)
    store = FakeStore()
    key = f"shop/dev/api/{art.hexdigest}.zip"
    plan = plan_push(make_ctx(tmp_path, lam, store=store), "api", art)
    assert plan.steps[0] == Upload("artifacts", key, art.size)
    assert plan.steps[1] == UpdateCode(FN, f"s3://artifacts/{key}", "r1")
    store.objects[f"artifacts/{key}"] = art.size
    again = plan_push(make_ctx(tmp_path, lam, store=store), "api", art)
    assert not any(isinstance(s, Upload) for s in again.steps)


def test_an_upload_reports_its_bytes_and_ends_only_once_stored(tmp_path: Path) -> None:
    art = artifact(tmp_path, needs_s3=True)
    ctx = make_ctx(tmp_path, fresh_lambda(), store=FakeStore())
    plan = plan_push(ctx, "api", art)
    apply_push(ctx, replace(plan, steps=plan.steps[:1]))  # the upload alone

    assert isinstance(ctx.reporter, RecordingReporter)
    sent = [done for task, done, total in ctx.reporter.progressed if task == "api: upload"]
    assert sent[0] == 0 and sent[-1] == art.size
    assert sent == sorted(sent) and len(sent) > 3
    assert art.size not in sent[:-1]  # "done" is said after S3 answered, not when bytes left


def test_a_failed_upload_leaves_no_progress_behind(tmp_path: Path) -> None:
    class FailingStore(FakeStore):
        def put(
            self, *args: object, on_progress: Callable[[int], None] | None = None, **kw: object
        ) -> None:
            assert on_progress is not None
            on_progress(1)
            raise AccessDeniedError("not allowed to call s3:PutObject")

    art = artifact(tmp_path, needs_s3=True)
    ctx = make_ctx(tmp_path, fresh_lambda(), store=FailingStore())
    plan = plan_push(ctx, "api", art)

    with pytest.raises(AccessDeniedError):
        apply_push(ctx, replace(plan, steps=plan.steps[:1]))
    assert isinstance(ctx.reporter, RecordingReporter)
    assert ctx.reporter.ended == ["api: upload"]


def test_an_image_updates_from_its_uri(tmp_path: Path) -> None:
    art = artifact(
        tmp_path, kind="image", image_uri="123.dkr.ecr.eu-west-1.amazonaws.com/api:1", path=None
    )
    plan = plan_push(make_ctx(tmp_path, fresh_lambda()), "api", art)
    assert plan.steps[0] == UpdateCode(FN, "123.dkr.ecr.eu-west-1.amazonaws.com/api:1", "r1")


def test_an_alias_moved_under_you_names_who_moved_it(tmp_path: Path) -> None:
    lam = fresh_lambda()
    ctx = make_ctx(tmp_path, lam)
    plan = plan_push(ctx, "api", artifact(tmp_path))
    theirs = ReleaseRecord(
        "abc", "arn:aws:iam::1:user/bob", "2026-05-06T07:00:00Z", "1", "deadbeef", False
    )
    lam.versions["9"] = state("9", "theirs", description=theirs.encode())
    lam.aliases["next"] = AliasState("next", "9", "a-bob")

    with pytest.raises(ConflictError) as info:
        apply_push(ctx, plan)

    assert info.value.exit_status == ExitStatus.CONFLICT
    assert str(info.value.message) == (
        "alias next of shop-dev-api moved under you; v3 was published but not aliased: "
        "next now serves v9, pushed by arn:aws:iam::1:user/bob at 2026-05-06T07:00:00Z, "
        "git deadbeef"
    )
    assert lam.aliases["next"].function_version == "9"


def test_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    lam = fresh_lambda()
    ctx = make_ctx(tmp_path, lam)
    api = ctx.scope.config.functions["api"]
    config = replace(ctx.scope.config, functions={"api": api, "gone": replace(api, name="gone")})
    ctx = replace(ctx, scope=Scope(config, "dev"))
    built = artifact(tmp_path)  # built once: two threads writing the same file would race
    report = push(ctx, PushOptions(all=True, max_workers=2), lambda _: built)
    by_name = {o.function: o for o in report.outcomes}
    assert by_name["api"].result is not None and by_name["api"].error is None
    assert isinstance(by_name["gone"].error, NotFoundError)
    assert report.exit_status == ExitStatus.FAILED and not report.ok


def test_push_needs_functions_it_knows(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, fresh_lambda())
    with pytest.raises(UsageError, match="no function given"):
        push(ctx, PushOptions(), lambda _: artifact(tmp_path))
    with pytest.raises(UsageError, match="unknown function 'web'"):
        push(ctx, PushOptions(functions=("web",)), lambda _: artifact(tmp_path))


def test_release_description_is_compact_json(tmp_path: Path) -> None:
    lam = fresh_lambda()
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", artifact(tmp_path)))
    data = json.loads(lam.versions["2"].description)
    assert set(data) == {"tp", "a", "t", "p", "by"}
    assert " " not in lam.versions["2"].description
