"""``scrum-bot catalogue check|show|area``: validate and lint the catalogue, show an entry as a resident sees it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from bot.catalogue.loader import load_catalogue
from bot.errors import CatalogueError

DEFAULT_PATH = Path("knowledge/services.yaml")


def register(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("catalogue", help="validate, lint and show the service catalogue")
    cat_sub = cat.add_subparsers(dest="catalogue_command", metavar="ACTION")
    check = cat_sub.add_parser("check", help="validate and lint; non-zero exit on errors, warnings listed")
    check.add_argument("--catalogue", type=Path, default=DEFAULT_PATH)
    check.add_argument("--max-age-months", type=int, default=12,
                       help="facts whose source is older than this are listed 'to re-check' (default 12)")
    check.add_argument("--today", type=dt.date.fromisoformat, default=None,
                       help="date to count ages from (YYYY-MM-DD; default: today)")
    check.add_argument("--no-router", action="store_true", help="skip routing each service's own examples")
    check.add_argument("--json", action="store_true", help="print one JSON object (for tools)")
    check.set_defaults(func=_check)
    show = cat_sub.add_parser("show", help="show a service, department or crisis line as a resident would see it")
    show.add_argument("service_id", metavar="ID")
    show.add_argument("--catalogue", type=Path, default=DEFAULT_PATH)
    show.set_defaults(func=_show)
    area = cat_sub.add_parser("area", help="which 地域包括支援センター covers a 地区")
    area.add_argument("district")
    area.add_argument("--catalogue", type=Path, default=DEFAULT_PATH)
    area.set_defaults(func=_area)


def _check(args: argparse.Namespace) -> int:
    from bot.catalogue.lint import lint_catalogue

    try:
        cat = load_catalogue(args.catalogue)
    except CatalogueError as exc:
        if args.json:
            print(json.dumps({"ok": False, "errors": [{"level": "error", "code": "invalid", "where": str(args.catalogue),
                                                       "message": str(exc)}], "warnings": [], "notices": []},
                             ensure_ascii=False))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    today = args.today or dt.date.today()
    findings = lint_catalogue(cat, today=today, max_age_months=args.max_age_months,
                              check_router=not args.no_router)
    errors = [f for f in findings if f.level == "error"]
    warnings = [f for f in findings if f.level == "warning"]
    notices = [f for f in findings if f.level == "notice"]
    counts = {"services": len(cat.services), "departments": len(cat.departments), "meetings": len(cat.meetings),
              "districts": len(cat.areas.districts), "crisis_lines": len(cat.crisis_lines)}
    if args.json:
        by_code: dict[str, int] = {}
        for f in findings:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        print(json.dumps({"ok": not errors, "counts": counts, "by_code": by_code,
                          "errors": [f.to_json() for f in errors], "warnings": [f.to_json() for f in warnings],
                          "notices": [f.to_json() for f in notices]}, ensure_ascii=False, indent=1))
        return 1 if errors else 0
    for f in findings:
        print(f, file=sys.stderr if f.level == "error" else sys.stdout)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    status = "FAILED" if errors else "ok"
    print(f"{status}: {summary}; {len(errors)} errors, {len(warnings)} warnings, {len(notices)} notices")
    return 1 if errors else 0


def _show(args: argparse.Namespace) -> int:
    from bot.catalogue.render import render_any

    try:
        cat = load_catalogue(args.catalogue)
        print(render_any(cat, args.service_id))
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyError:
        print(f"error: no service, department or crisis line with id {args.service_id!r}", file=sys.stderr)
        return 1
    return 0


def _area(args: argparse.Namespace) -> int:
    from bot.catalogue.areas import which_center

    try:
        cat = load_catalogue(args.catalogue)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    ans = which_center(cat, args.district)
    if ans.district is None:
        print(f"「{args.district}」という地区は見つかりません。")
    elif ans.center:
        print(f"{ans.district}地区: {ans.center}")
    else:
        print(f"{ans.district}地区を担当する地域包括支援センターは、まだ確認できていません。")
        if ans.center_unconfirmed:
            print(f"（職員向け: {ans.center_unconfirmed} という情報あり。未確認）")
    if ans.ask is not None:
        phones = "、".join(p.number for p in ans.ask.phones if p.type != "fax")
        print(f"お問い合わせ: {ans.ask.name} {phones}")
    return 0
