"""The `burnout` command: every step of the product from a shell or a scheduler.

Each sub-command is a thin call into the library. User errors (`BurnoutError`) end the command with
one line on stderr and exit status 1; argument errors with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from burnout_lib import channels
from burnout_lib.config import Settings, display_url, load_settings
from burnout_lib.errors import BurnoutError, DatabaseUnavailable, HumeError, InvalidInput
from burnout_lib.store.transactions import first_line, is_disconnect

DEMO_SIZE = {"staff": 200, "weeks": 26, "seed": 42}
#: The mock survey benchmark holds 657 answers; a million rows takes seconds and under 1 GB.
MAX_SURVEY_ROWS = 1_000_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def _row_id(text: str) -> int:
    """A database id: a whole number a 64-bit integer column can hold."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a whole number)") from None
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (1 to {2**63 - 1})")
    return value


def _weeks(text: str) -> int:
    """A horizon in weeks: 1 to 26."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of weeks") from None
    if not 1 <= value <= 26:
        raise argparse.ArgumentTypeError(f"{text!r} weeks is outside 1 to 26")
    return value


def _feature_set(text: str) -> str:
    """A feature set: a named one (full, checkin, facial) or channels joined by "+"."""
    from burnout_lib.risk.features import set_channels

    try:
        set_channels(text)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _engine(settings: Settings):
    from burnout_lib.store.db import make_engine

    return make_engine(settings.db_url)


def cmd_init_db(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.store.db import init_db

    revision = init_db(_engine(settings))
    print(f"database {display_url(settings.db_url)} is at schema revision {revision}")


def cmd_mock(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.mock.hospital import MockSpec, write_mock

    spec = MockSpec(
        staff=args.staff,
        weeks=args.weeks,
        seed=args.seed,
        start=args.start,
        frames_per_recording=args.frames,
    )
    result = write_mock(_engine(settings), settings, spec, progress=not args.quiet)
    print(f"{result.summary()} in {display_url(settings.db_url)}")


def cmd_mock_survey(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.mock.nyc_survey import write_mock_survey

    if args.rows < 1:
        raise InvalidInput(f"rows must be at least 1 (got {args.rows})")
    if args.rows > MAX_SURVEY_ROWS:
        raise InvalidInput(f"rows must be at most {MAX_SURVEY_ROWS:,} (got {args.rows:,})")
    if args.seed < 0:
        raise InvalidInput(f"seed must not be negative (got {args.seed})")
    path = write_mock_survey(args.out, rows=args.rows, seed=args.seed)
    print(f"wrote {args.rows:,} mock survey rows to {path}")


def cmd_consent(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.privacy.consent import set_consent

    granted = args.grant is not None
    asked = args.grant or args.revoke
    channel = channels.canonical(asked)
    at = set_consent(_engine(settings), args.pseudonym, channel, granted)
    note = channels.alias_note(asked)  # after the decision: a refusal stays one line
    if note:
        print(note, file=sys.stderr)
    verb = "granted" if granted else "revoked"
    print(f"{args.pseudonym}: {channel} consent {verb} at {at.isoformat(timespec='seconds')}")


def cmd_channels(args: argparse.Namespace, settings: Settings) -> None:
    print(channels.markdown_table(settings.channels_off))


def cmd_erase(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.privacy.consent import erase_person

    report = erase_person(_engine(settings), settings, args.pseudonym)
    print(report.summary())


def cmd_account_add(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.privacy.accounts import (
        ANALYST,
        MANAGER,
        OCCUPATIONAL_HEALTH,
        STAFF,
        add_account,
    )

    if args.staff:
        viewer = add_account(_engine(settings), args.login, STAFF, pseudonym=args.staff)
    elif args.manager:
        units = args.manager.split(",")
        viewer = add_account(_engine(settings), args.login, MANAGER, units=units)
    else:
        role = OCCUPATIONAL_HEALTH if args.occupational_health else ANALYST
        viewer = add_account(_engine(settings), args.login, role)
    print(f"account {viewer.describe()}")


def cmd_account_list(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.privacy.accounts import list_accounts
    from burnout_lib.store.db import require_schema

    engine = _engine(settings)
    require_schema(engine)
    with engine.connect() as connection:
        accounts = list_accounts(connection)
    for viewer in accounts:
        print(viewer.describe())
    if not accounts:
        print("no accounts yet (add one with `burnout account add LOGIN ...`)")


def cmd_account_remove(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.privacy.accounts import remove_account

    remove_account(_engine(settings), args.login)
    print(f"removed the account of {args.login}")


def _datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time (use ISO 8601, e.g. 2026-03-02T09:30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_extract(args: argparse.Namespace, settings: Settings) -> None:
    from tqdm.auto import tqdm

    from burnout_lib.sources.hume.client import HumeClient
    from burnout_lib.sources.hume.extract import check_facial_consent, extract_file
    from burnout_lib.sources.hume.frames import count_frames_estimate

    engine = _engine(settings)
    check_facial_consent(engine, settings, args.staff)  # before any file is opened
    client = HumeClient(settings.hume_api_key, settings.hume_base_url)
    failures = 0
    for path in tqdm(
        args.files, desc="files", unit="file", disable=args.quiet or len(args.files) < 2
    ):
        try:
            total = count_frames_estimate(path, args.fps)
            with tqdm(total=total, desc=Path(path).name, unit="frame", disable=args.quiet) as bar:
                result = extract_file(
                    engine, settings, client, Path(path), args.staff, args.recorded_at, args.fps,
                    on_frames=bar.update,
                )  # fmt: skip
        except (InvalidInput, HumeError) as error:
            failures += 1
            message = str(error)
            name = Path(path).name
            print(f"burnout: error: {message if name in message else f'{name}: {message}'}",
                  file=sys.stderr)  # fmt: skip
            continue
        print(result.summary())
    if failures:
        raise SystemExit(1)


def cmd_import_hume(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.sources.hume.extract import import_legacy

    for result in import_legacy(
        _engine(settings), settings, Path(args.predictions), args.staff, args.recorded_at
    ):
        print(result.summary())


def cmd_fake_hume(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.testing.hume_server import serve_forever

    key = settings.hume_api_key or args.api_key
    print(f"Hume stand-in on http://127.0.0.1:{args.port} (Ctrl+C stops it)", flush=True)
    serve_forever(args.port, key)


def cmd_checkin_import(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.risk.alerts import raise_checkin_alerts
    from burnout_lib.sources.checkins import InvalidCheckinFile, import_checkins

    try:
        report = import_checkins(
            _engine(settings), Path(args.file), args.skip_invalid, then=raise_checkin_alerts
        )
    except InvalidCheckinFile as error:
        for problem in error.report.errors:
            print(f"{error.report.file}: {problem}", file=sys.stderr)
        raise
    for problem in report.errors:
        print(f"{report.file}: skipped {problem}", file=sys.stderr)
    print(report.summary())


def cmd_checkin_template(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.sources.checkins import template

    print(template(), end="")


def cmd_train(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.risk.evaluation import choose_feature_set
    from burnout_lib.risk.feature_choice import training_line
    from burnout_lib.risk.features import require_enabled, weekly_features
    from burnout_lib.risk.model import save_model, train
    from burnout_lib.risk.scoring import consented_features
    from burnout_lib.store.db import require_schema

    if args.feature_set is not None:
        require_enabled(args.feature_set, settings.channels_off)
    engine = _engine(settings)
    require_schema(engine)
    features = consented_features(engine, weekly_features(engine, args.first, args.last))
    horizon = args.horizon or settings.warning_horizon_weeks
    # the same comparison `burnout evaluate` makes decides, or is recorded beside what was asked
    choice = choose_feature_set(features, horizon, settings, target_recall=args.target_recall,
                                progress=not args.quiet)  # fmt: skip
    feature_set = args.feature_set or choice.feature_set
    model = train(features, feature_set, horizon, target_recall=args.target_recall,
                  high_precision=settings.high_risk_precision)  # fmt: skip
    channels = choice.attach(model, asked_by=f"asked for by --feature-set {feature_set}")
    version = save_model(model, engine, settings)
    m = model.card["metrics"]
    print(
        f"model {version}: {horizon}-week early warning, {model.card['chosen']} on {feature_set} "
        f"features, threshold {model.threshold:.3f} (recall {m['recall']:.0%}, precision "
        f"{m['precision']:.0%}, F1 {m['f1']:.0%} on people held out of training); "
        f"card: {settings.data_dir / model.card['path']}"
    )
    print(training_line(channels))
    if args.promote:
        _promote(engine, settings, version, args.force)
    else:
        print(f"model {version} is a candidate: `burnout promote {version}` makes it live")


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.risk.evaluation import decide, evaluate
    from burnout_lib.risk.feature_choice import CHANNEL_WORDS
    from burnout_lib.risk.features import deployment_set, weekly_features
    from burnout_lib.risk.scoring import consented_features
    from burnout_lib.store.db import require_schema

    feature_set = args.feature_set or deployment_set(settings.channels_off)
    engine = _engine(settings)
    require_schema(engine)
    features = consented_features(engine, weekly_features(engine))
    horizon = args.horizon or settings.warning_horizon_weeks
    result = evaluate(
        features,
        args.train_until,
        horizon,
        feature_set,
        target_recall=args.target_recall,
        high_precision=settings.high_risk_precision,
        progress=not args.quiet,
        channels_off=settings.channels_off,  # each channel switched on is left out in turn
    )
    print(result.text())
    if (feature_set, args.train_until, horizon) == ("full", None, settings.warning_horizon_weeks):
        # the comparison `burnout train` makes on these weeks: say what it chooses
        choice = decide(result)
        print(f"So `burnout train` trains on {CHANNEL_WORDS[choice.feature_set]}: {choice.reason}.")


def _promote(engine, settings: Settings, model_id: int, force: bool) -> None:
    from burnout_lib.risk.lifecycle import against_evaluation, promote

    comparison = promote(engine, settings, model_id, force=force)
    against = f" ({comparison})" if comparison is not None else ""
    print(f"model {model_id} is live{against}")
    note = against_evaluation(engine, model_id)
    if note:
        print(note)


def cmd_promote(args: argparse.Namespace, settings: Settings) -> None:
    _promote(_engine(settings), settings, args.model_id, args.force)


def cmd_score(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.risk.alerts import evaluate_week
    from burnout_lib.risk.scoring import score_week

    engine = _engine(settings)
    result = score_week(engine, settings, args.week, args.model)
    alerts = evaluate_week(engine, settings, result.week, result.model_version_id)
    print(f"{result.summary()}; {len(alerts):,} alerts")


def cmd_acknowledge(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.risk.alerts import acknowledge

    stamp = acknowledge(_engine(settings), args.alert_id)
    print(f"alert {args.alert_id} acknowledged at {stamp:%Y-%m-%d %H:%M} UTC")


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.demo import build_demo

    for line in build_demo(settings, args.staff, args.weeks, args.seed, progress=not args.quiet):
        print(line, flush=True)


def _report_week(text: str) -> date:
    if text == "last":
        from burnout_lib.risk.scoring import last_complete_week

        return last_complete_week(date.today())
    return _iso_date(text)


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.report.runner import run_report

    run = run_report(
        settings,
        args.week,
        unit=args.unit,
        out_dir=Path(args.out) if args.out else None,
        score_first=not args.no_score,
        show_pseudonyms=args.named,
    )
    print(run.summary())


def cmd_checksum(args: argparse.Namespace, settings: Settings) -> None:
    from burnout_lib.store.db import require_schema
    from burnout_lib.store.integrity import table_sums

    engine = _engine(settings)
    require_schema(engine)
    for name, summed in table_sums(engine).items():
        print(f"{name:<20} {summed.rows:>12,}  {summed.sha256}")


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> None:
    from dataclasses import replace

    from burnout_lib.app.server import serve
    from burnout_lib.config import check_header_name

    if args.user_header:
        settings = replace(settings, user_header=check_header_name(args.user_header))
    serve(settings, args.host, args.port, preheat=not args.no_preheat, workers=args.workers)


def _common_options(in_subcommand: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the sub-command; a sub-command keeps what came before."""
    unset = argparse.SUPPRESS if in_subcommand else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=unset,
        help="database URL (default: $BURNOUT_DB_URL or data/burnout.db)",
    )
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=unset,
        help="data folder (default: $BURNOUT_DATA_DIR or data/)",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="no progress bars",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(in_subcommand=True)
    parser = _Parser(
        prog="burnout",
        description=__doc__.splitlines()[0],
        parents=[_common_options(in_subcommand=False)],
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", parser_class=_Parser
    )

    def add(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    add("init-db", cmd_init_db, "create or upgrade the database schema (safe to re-run)")

    mock = add("mock", cmd_mock, "generate a mock hospital into the database")
    mock.add_argument("--staff", type=int, required=True, help="number of staff")
    mock.add_argument("--weeks", type=int, required=True, help="number of weeks")
    mock.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    mock.add_argument(
        "--start", type=_iso_date, default=date(2026, 1, 5), help="first week (YYYY-MM-DD)"
    )
    mock.add_argument("--frames", type=int, default=10, help="frames per recording")

    survey = add("mock-survey", cmd_mock_survey, "write the NYC mock survey benchmark dataset")
    survey.add_argument("--rows", type=int, default=1000)
    survey.add_argument("--seed", type=int, default=0)
    survey.add_argument("--out", required=True, metavar="FILE.csv")

    consent = add("consent", cmd_consent, "grant or revoke a person's consent for a channel")
    consent.add_argument("pseudonym")
    decision = consent.add_mutually_exclusive_group(required=True)
    decision.add_argument("--grant", choices=channels.accepted_names(), metavar="CHANNEL")
    decision.add_argument("--revoke", choices=channels.accepted_names(), metavar="CHANNEL")

    add("channels", cmd_channels, "what each channel a person may share stores, for how long, "
        "who sees it, and whether it is biometric")  # fmt: skip

    erase = add("erase", cmd_erase, "remove every row and file of one person")
    erase.add_argument("pseudonym")

    account = add("account", None, "who may sign in to the dashboard, and in which role")
    account_commands = account.add_subparsers(dest="action", required=True, parser_class=_Parser)
    account_add = account_commands.add_parser(
        "add", help="give a login a role (or change it)", parents=[common]
    )
    account_add.set_defaults(handler=cmd_account_add)
    account_add.add_argument("login", help="the login the hospital's sign-in passes on")
    role = account_add.add_mutually_exclusive_group(required=True)
    role.add_argument("--staff", metavar="PSEUDONYM", help="a member of staff: their own page")
    role.add_argument("--manager", metavar="UNIT[,UNIT...]", help="team views of these units")
    role.add_argument(
        "--occupational-health", action="store_true", help="every unit, named alerts (logged)"
    )
    role.add_argument("--analyst", action="store_true", help="team views of every unit")
    account_commands.add_parser("list", help="list every account", parents=[common]).set_defaults(
        handler=cmd_account_list
    )
    account_remove = account_commands.add_parser(
        "remove", help="remove a login's account", parents=[common]
    )
    account_remove.set_defaults(handler=cmd_account_remove)
    account_remove.add_argument("login")

    extract = add("extract", cmd_extract, "measure consented clips or images with Hume")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.add_argument("--staff", required=True, metavar="PSEUDONYM")
    extract.add_argument("--recorded-at", type=_datetime, metavar="ISO-DATETIME")
    extract.add_argument("--fps", type=float, default=1.0, help="frames per second (at most 3)")

    legacy = add("import-hume", cmd_import_hume, "import a saved legacy Hume predictions file")
    legacy.add_argument("predictions", metavar="PREDICTIONS.json")
    legacy.add_argument("--staff", required=True, metavar="PSEUDONYM")
    legacy.add_argument("--recorded-at", type=_datetime, metavar="ISO-DATETIME")

    fake = add("fake-hume", cmd_fake_hume, "serve a local stand-in for Hume's API on 127.0.0.1")
    fake.add_argument("--port", type=int, default=8765)
    fake.add_argument("--api-key", default="local-key", help="key it accepts (or $HUME_API_KEY)")

    checkin = add("checkin", None, "weekly check-ins (Copenhagen Burnout Inventory)")
    checkin_commands = checkin.add_subparsers(dest="action", required=True, parser_class=_Parser)
    checkin_import = checkin_commands.add_parser(
        "import", help="import check-ins from a CSV file", parents=[common]
    )
    checkin_import.set_defaults(handler=cmd_checkin_import)
    checkin_import.add_argument("file", metavar="FILE.csv")
    checkin_import.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows and list the bad ones"
    )
    checkin_commands.add_parser(
        "template", help="print a CSV template", parents=[common]
    ).set_defaults(handler=cmd_checkin_template)

    training = add("train", cmd_train, "train the burnout model and write its model card")
    training.add_argument(
        "--feature-set",
        type=_feature_set,
        metavar="SET",
        help="full, checkin, facial, or channels joined by '+'; default: check-ins, and the "
        "facial channel only where `burnout evaluate` shows it improves the early warning (a set "
        "against that is trained, and its card says so)",
    )
    training.add_argument("--target-recall", type=float, default=0.95)
    training.add_argument("--first", type=_iso_date, metavar="YYYY-MM-DD", help="first week")
    training.add_argument("--last", type=_iso_date, metavar="YYYY-MM-DD", help="last week")
    training.add_argument(
        "--promote",
        action="store_true",
        help="make the new model live (if no worse than the live one)",
    )
    training.add_argument("--force", action="store_true", help="with --promote: even if worse")
    training.add_argument(
        "--horizon",
        type=_weeks,
        metavar="WEEKS",
        help="weeks the early warning looks ahead (default: 4, or BURNOUT_WARNING_HORIZON_WEEKS)",
    )

    evaluating = add(
        "evaluate",
        cmd_evaluate,
        "measure the early warning as a deployment would: train on the weeks up to a cut-off, "
        "report on the later weeks only, beside simple baselines",
    )
    evaluating.add_argument(
        "--train-until",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="last training week (default: hold out the last 40%% of weeks)",
    )
    evaluating.add_argument(
        "--horizon", type=_weeks, metavar="WEEKS", help="weeks the early warning looks ahead"
    )
    evaluating.add_argument("--feature-set", type=_feature_set, metavar="SET",
                            help="full, checkin, facial, or channels joined by '+'")  # fmt: skip
    evaluating.add_argument("--target-recall", type=float, default=0.95)

    promoting = add("promote", cmd_promote, "make a trained model the live one")
    promoting.add_argument("model_id", type=_row_id, metavar="MODEL_ID")
    promoting.add_argument(
        "--force", action="store_true", help="even if it does worse than the live model"
    )

    scoring = add("score", cmd_score, "score a week's risk and raise its alerts")
    scoring.add_argument("--week", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    scoring.add_argument(
        "--model", type=_row_id, metavar="ID", help="model version (default: the live one)"
    )

    ack = add("acknowledge", cmd_acknowledge, "mark an alert as seen and acted on")
    ack.add_argument("alert_id", type=_row_id)

    reporting = add("report", cmd_report, "write the weekly report (HTML) for a week")
    reporting.add_argument(
        "--week", type=_report_week, required=True, metavar="YYYY-MM-DD|last",
        help="any day of the week to report, or `last` for the last complete week",
    )  # fmt: skip
    reporting.add_argument("--unit", help="one unit (default: the whole hospital)")
    reporting.add_argument(
        "--out", metavar="DIR",
        help="reports folder (default: DATA_DIR/reports; with --named, DATA_DIR/named-reports)",
    )  # fmt: skip
    reporting.add_argument("--no-score", action="store_true", help="do not score the week first")
    reporting.add_argument(
        "--named",
        action="store_true",
        help="name alerted people (for occupational health only): its own file and folder",
    )

    add("checksum", cmd_checksum, "rows and a content checksum per table (to compare databases)")

    dashboard = add("dashboard", cmd_dashboard, "serve the weekly dashboard with Voila")
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (this machine only, unless "
        "BURNOUT_PROXY_SECRET is set)",
    )  # fmt: skip
    dashboard.add_argument(
        "--user-header", metavar="HEADER",
        help="header the front proxy puts the login in (default: $BURNOUT_USER_HEADER or "
        "X-Forwarded-User)",
    )  # fmt: skip
    dashboard.add_argument("--port", type=int, default=8866)
    dashboard.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="run N Voila processes on ports PORT to PORT+N-1, for a front proxy that keeps each "
        "person on one of them (README: several workers)",
    )  # fmt: skip
    dashboard.add_argument(
        "--no-preheat", action="store_true", help="start a kernel only when a page is opened"
    )

    demo = add("demo", cmd_demo, "build the demo database if it is absent")
    for name, value in DEMO_SIZE.items():
        demo.add_argument(f"--{name}", type=int, default=value)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `burnout` alone: what it can do
        parser.print_help()
        return 0
    os.environ.setdefault("PGAPPNAME", f"burnout {args.command}")
    try:
        settings = load_settings(db=args.db, data_dir=args.data_dir)
        args.handler(args, settings)
    except BurnoutError as error:
        print(f"burnout: error: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        reason = first_line(error)
        if is_disconnect(error):
            reason = (
                f"lost the connection to the database ({reason}); nothing was half-written, "
                "run the command again"
            )
        print(f"burnout: error: {DatabaseUnavailable(reason)}", file=sys.stderr)
        return 1
    except OSError as error:  # a file or folder that cannot be read or written; names the path
        print(f"burnout: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("burnout: interrupted; nothing was half-written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
