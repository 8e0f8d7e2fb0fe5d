"""`twophase init`'s search for function folders, and the config it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.config.load import load_config
from twophase.config.scaffold import (
    FoundFunction,
    as_name,
    find_functions,
    plan_init,
    render_config,
    write_init,
)
from twophase.errors import UsageError


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


PROJECT = {
    "services/api/app.py": "import json\n\ndef handler(event, context):\n    return {}\n",
    "services/api/helpers.py": "def handler(x):\n    pass\n",  # app.py is preferred
    "services/api/lib/nested.py": "def handler(e, c):\n    pass\n",  # inside api: not its own
    "services/web/index.mjs": "export const handler = async (event) => ({ statusCode: 200 });\n",
    "services/legacy/index.js": "exports.handler = async function (event) {};\n",
    "services/billing/function.rb": "def handler(event:, context:)\n  {}\nend\n",
    "services/rusty/bootstrap": "#!/bin/sh\n",
    "services/shared/util.py": "def helper():\n    pass\n",  # no handler: not a function
    "services/Order_Events/lambda_function.py": "def lambda_handler(event, context):\n    pass\n",
    "node_modules/dep/index.js": "exports.handler = 1\n",
    ".hidden/app.py": "def handler(e, c):\n    pass\n",
    "tests/fixtures/app.py": "def handler(e, c):\n    pass\n",
    "other/api/app.py": "def handler(e, c):\n    pass\n",  # a second `api`
}


def test_function_folders_are_found_with_their_runtime_and_handler(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)

    found = {f.source: (f.name, f.runtime, f.handler) for f in find_functions(tmp_path)}

    assert found == {
        "other/api": ("api", "python3.12", "app.handler"),
        "services/api": ("api-2", "python3.12", "app.handler"),
        "services/billing": ("billing", "ruby3.3", "function.handler"),
        "services/legacy": ("legacy", "nodejs22.x", "index.handler"),
        "services/Order_Events": ("order-events", "python3.12", "lambda_function.lambda_handler"),
        "services/rusty": ("rusty", "provided.al2023", "bootstrap"),
        "services/web": ("web", "nodejs22.x", "index.handler"),
    }


def test_the_written_config_is_valid_and_keeps_each_functions_runtime(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)
    functions = find_functions(tmp_path)
    (tmp_path / "twophase.yml").write_text(render_config("shop", functions))

    config = load_config(tmp_path / "twophase.yml")

    assert config.app == "shop" and config.defaults.runtime == "python3.12"
    assert config.function("web").runtime == "nodejs22.x"
    assert config.function("api-2").source == tmp_path / "services/api"
    assert config.environments["local"].is_local
    assert list(config.aliases) == ["next", "live"]


def test_a_function_at_the_root_is_named_after_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "My Func"
    write(root, {"app.py": "def handler(e, c):\n    pass\n"})

    [fn] = find_functions(root)
    (root / "twophase.yml").write_text(render_config("my-func", [fn]))

    assert fn == FoundFunction("my-func", ".", "python", "app.handler")
    assert load_config(root / "twophase.yml").function("my-func").source == root


@pytest.mark.parametrize(
    ("text", "name"),
    [("shop", "shop"), ("My_Shop API", "my-shop-api"), ("2fast", "fast"), ("--", ""), ("é", "")],
)
def test_names_are_made_valid(text: str, name: str) -> None:
    assert as_name(text) == name


def test_a_config_that_appears_meanwhile_is_never_overwritten(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app.py": "def handler(e, c):\n    pass\n"})
    plan = plan_init(tmp_path / "twophase.yml")
    (tmp_path / "twophase.yml").write_text("app: theirs\n")  # written while init ran

    with pytest.raises(UsageError, match="appeared while twophase init ran"):
        write_init(plan)
    assert (tmp_path / "twophase.yml").read_text() == "app: theirs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["svc", "twophase.yml"]


def test_init_writes_exactly_the_plan(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app.py": "def handler(e, c):\n    pass\n"})
    plan = plan_init(tmp_path / "twophase.yml", app="store")

    write_init(plan)

    assert (tmp_path / "twophase.yml").read_text() == plan.text
    assert [f.name for f in plan.functions] == ["svc"] and plan.app == "store"


def test_odd_folders_are_skipped_or_shortened_and_the_config_still_validates(
    tmp_path: Path,
) -> None:
    long = "a-really-long-service-name-that-goes-on-and-on-and-on"
    write(
        tmp_path,
        {
            'svc/we"ird/app.py': "def handler(e, c):\n    pass\n",
            "svc/spaced/my handler.py": "def handler(e, c):\n    pass\n",
            f"svc/{long}/app.py": "def handler(e, c):\n    pass\n",
            f"other/{long}/app.py": "def handler(e, c):\n    pass\n",
        },
    )

    plan = plan_init(tmp_path / "twophase.yml", app="shop")
    write_init(plan)
    config = load_config(tmp_path / "twophase.yml")

    assert config.function("we-ird").source == tmp_path / 'svc/we"ird'
    assert [s.split(":")[0] for s in plan.skipped] == ["svc/spaced"]
    long_names = sorted(n for n in config.functions if n.startswith("a-really"))
    assert len(long_names) == 2 and long_names[0] != long_names[1]
    assert all(len(f"shop-staging-{n}") <= 64 for n in config.functions)
