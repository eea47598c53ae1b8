# SPDX-License-Identifier: GPL-3.0-or-later
"""The Windows build as written down: .github/workflows/windows.yml, packaging/windows/bashgah.iss and the
Windows pins. Neither a Windows Python nor Inno Setup can run here (packaging/windows/README.md), so these
read the files and check what a Windows runner would otherwise be first to find wrong: paths that do not
exist, a version that is not passed, silent flags, the pinned PySide6, the data kept on uninstall."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from app.cli.output import default_data_dir

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "windows.yml"
ISS = ROOT / "packaging" / "windows" / "bashgah.iss"
CONSTRAINTS = ROOT / "packaging" / "windows" / "constraints.txt"
SPEC = ROOT / "packaging" / "bashgah.spec"
ICON = ROOT / "packaging" / "icons" / "bashgah.ico"
APP_ID = "9D51C564-AF6D-429B-B874-3EC1D030117E"  # never to change: Windows knows the product by it
PYSIDE_FOR_WINDOWS = "6.11.3"
SILENT = ("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")


def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def job() -> dict[str, Any]:
    return workflow()["jobs"]["installer"]


def scripts() -> str:
    return "\n".join(step.get("run", "") for step in job()["steps"])


def iss() -> str:
    return ISS.read_text(encoding="utf-8-sig")


def iss_section(name: str) -> list[str]:
    """The lines of one [Section] of the .iss, comments and preprocessor lines left out."""
    lines, inside = [], False
    for line in iss().splitlines():
        stripped = line.strip()
        if re.fullmatch(r"\[\w+\]", stripped):
            inside = stripped == f"[{name}]"
        elif inside and stripped and not stripped.startswith((";", "#")):
            lines.append(stripped)
    return lines


def pins() -> dict[str, str]:
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            found[requirement.name.lower()] = specifier.version
    return found


# ---------------------------------------------------------------------- the workflow


def test_the_workflow_runs_on_windows_with_python_3_11_and_the_windows_pins() -> None:
    triggers = workflow().get("on", workflow().get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    assert job()["runs-on"] == "windows-latest"
    assert job()["defaults"]["run"]["shell"] == "pwsh"
    python = next(s for s in job()["steps"] if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    assert job()["env"]["CONSTRAINTS"] == CONSTRAINTS.relative_to(ROOT).as_posix()
    installs = [line for line in scripts().splitlines() if "pip install" in line]
    assert installs and all("-c $env:CONSTRAINTS" in line for line in installs)
    # not editable (PyInstaller misses -e installs), with the terminal's libraries (an extra)
    assert 'pip install -c $env:CONSTRAINTS ".[terminal]"' in scripts()
    assert f"PySide6.__version__ == '{PYSIDE_FOR_WINDOWS}'" in scripts()


def test_every_path_the_workflow_names_is_in_the_repository() -> None:
    named = set(re.findall(r"(?:packaging|i18n|resources)/[\w./$-]+", scripts()))
    named.add(job()["env"]["CONSTRAINTS"])
    for path in named:
        if "$lang" in path:
            for lang in ("fa", "en"):
                path_for = path.replace("$lang", lang)
                if path_for.startswith("i18n/"):
                    assert (ROOT / path_for).is_file(), path_for
            continue
        if path.endswith(("Farsi.isl", ".qm")):
            continue  # fetched or compiled by the workflow itself
        if path == SPEC.relative_to(ROOT).as_posix() and not SPEC.exists():
            continue  # the bundle's spec: checked by the next test
        assert (ROOT / path).exists(), path


def test_the_spec_and_the_icon_the_windows_build_uses_exist() -> None:
    spec = SPEC.read_text()
    assert "bashgah-cli" in spec, "a console bashgah-cli.exe beside the windowed bashgah.exe"
    assert "bashgah.ico" in spec
    assert "packaging/bashgah.spec" in scripts()


def test_the_frozen_build_and_the_installed_copy_are_tested() -> None:
    run = scripts()
    for check in ("'--version'", "'demo', 'seed'", "'ledger', 'verify'", "'--self-test'"):
        assert f"Check {check}" in run, check
    assert "bashgah.exe -ArgumentList '--self-test'" in run  # the windowed exe too, by its exit code
    assert job()["env"]["QT_QPA_PLATFORM"] == "offscreen"
    assert '"$app\\bashgah-cli.exe" --self-test' in run
    for flag in SILENT:
        assert f"'{flag}'" in run, flag
    assert "/DELETEDATA" in run and "kept.txt" in run  # both ways of uninstalling are checked
    assert "WaitGone $app" in run  # the install folder is gone afterwards


def test_the_installer_is_built_with_the_version_and_kept() -> None:
    run = scripts()
    assert '"/DAppVersion=${{ steps.version.outputs.version }}" packaging/windows/bashgah.iss' in run
    upload = next(s for s in job()["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "dist/bashgah-*-windows-x64-setup.exe"
    assert upload["with"]["if-no-files-found"] == "error"
    name = re.search(r"OutputBaseFilename=(\S+)", iss())
    assert name and name.group(1) == "bashgah-{#AppVersion}-windows-x64-setup"


def test_native_commands_are_checked() -> None:
    """pwsh does not stop on a native command's exit code: each one is followed by a check."""
    lines = [line.strip() for line in scripts().splitlines()]
    for index, line in enumerate(lines):
        if re.match(r"(python|pyinstaller|pyside6-lrelease|choco|& )", line):
            assert "$LASTEXITCODE" in lines[index + 1], line


# ---------------------------------------------------------------------- the installer script


def test_the_iss_is_utf8_with_a_bom() -> None:
    raw = ISS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "without a BOM Inno Setup reads the Persian texts as ANSI"
    raw.decode("utf-8")


def test_the_iss_needs_the_version_and_keeps_its_app_id() -> None:
    text = iss()
    assert "#ifndef AppVersion" in text and "#error" in text
    setup = dict(line.split("=", 1) for line in iss_section("Setup"))
    assert setup["AppId"] == "{{" + APP_ID + "}"
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["DefaultDirName"] == "{autopf}\\{#AppName}"
    assert setup["PrivilegesRequired"] == "admin"  # per machine
    assert "PrivilegesRequiredOverridesAllowed" not in setup
    assert setup["SetupIconFile"] == "..\\icons\\bashgah.ico"
    assert setup["ChangesEnvironment"] == "yes"


def test_the_iss_installs_the_one_folder_with_its_shortcuts_and_the_optional_path() -> None:
    assert re.search(r'#define DistDir "\.\.\\\.\.\\dist\\bashgah"', iss())
    assert iss_section("Files") == [
        'Source: "{#DistDir}\\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs'
    ]
    assert '#define AppExe "bashgah.exe"' in iss() and '#define CliExe "bashgah-cli.exe"' in iss()
    icons = iss_section("Icons")
    assert any(line.startswith('Name: "{autoprograms}') and "{#AppExe}" in line for line in icons)
    assert any(line.startswith('Name: "{autodesktop}') and "Tasks: desktopicon" in line for line in icons)
    tasks = "\n".join(iss_section("Tasks"))
    assert 'Name: "desktopicon"' in tasks and 'Name: "addtopath"' in tasks
    assert tasks.count("Flags: unchecked") == 2  # both optional
    (path,) = iss_section("Registry")
    assert "Tasks: addtopath" in path and 'ValueData: "{olddata};{app}"' in path and "HKLM" in path
    assert "RemoveFromPath(ExpandConstant('{app}'))" in iss()


def test_uninstalling_keeps_the_terminals_data_unless_asked() -> None:
    text = iss()
    data_name = re.search(r'#define DataDirName "([^"]+)"', text)
    assert data_name, "the data folder's name"
    # the folder platformdirs gives the terminal (app/cli/output.py), under %LOCALAPPDATA% on Windows
    assert data_name.group(1) == default_data_dir().name
    assert "ExpandConstant('{localappdata}\\{#DataDirName}')" in text
    assert "DeleteDataAsked() or ((not UninstallSilent()) and" in text
    assert "MB_DEFBUTTON2" in text  # "No" is the default answer
    assert "DelTree(DataDir()" in text


def test_the_iss_offers_persian_when_the_translation_is_there_and_english_always() -> None:
    text = iss()
    assert 'Name: "en"; MessagesFile: "compiler:Default.isl"' in text
    assert 'Name: "fa"; MessagesFile: "{#FarsiMessages}"' in text
    assert "Farsi.isl" in text and "#pragma warning" in text
    for key in ("AddToPath", "DeleteDataQuestion"):
        assert re.search(rf"^en\.{key}=", text, re.M) and re.search(rf"^fa\.{key}=", text, re.M), key
    # fa.* messages only when the fa language exists, or the compiler refuses the script
    fa_block = text.split("[CustomMessages]")[1].split("[Tasks]")[0]
    assert fa_block.index("#ifdef FarsiMessages") < fa_block.index("fa.AddToPath")


def test_the_preprocessor_and_pascal_blocks_are_balanced() -> None:
    text = iss()
    opened = len(re.findall(r"^\s*#if(n?def)?\b", text, re.M))
    assert opened == len(re.findall(r"^\s*#endif\b", text, re.M))
    code = text.split("\n[Code]\n", 1)[1]
    code = re.sub(r"//.*|'[^']*'", "", code)
    assert len(re.findall(r"\bbegin\b", code)) == len(re.findall(r"\bend\b", code))


@pytest.mark.parametrize("script", ["check-wheels", "try-under-wine"])
def test_the_helper_scripts_are_executable_bash(script: str) -> None:
    path = ISS.parent / script
    assert path.stat().st_mode & 0o111, f"chmod +x {path}"
    subprocess.run(["bash", "-n", str(path)], check=True)


# ---------------------------------------------------------------------- the pins


def test_pyside6_is_pinned_for_windows_to_a_release_the_project_allows() -> None:
    pinned = pins()
    assert pinned["pyside6-essentials"] == PYSIDE_FOR_WINDOWS
    assert pinned["shiboken6"] == PYSIDE_FOR_WINDOWS
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pyside = next(Requirement(d) for d in extras["terminal"] if d.startswith("PySide6-Essentials"))
    assert pyside.specifier.contains(PYSIDE_FOR_WINDOWS)
    assert not pyside.specifier.contains("6.12.0")  # the newest Windows wheel, and excluded


def test_every_compiled_dependency_is_pinned() -> None:
    """Those with a compiled part: a release without a win_amd64 wheel would need a compiler on the runner."""
    compiled = {
        "pyscard", "libusb1", "cryptography", "pillow", "argon2-cffi-bindings", "cffi", "pydantic-core",
        "sqlalchemy", "pyinstaller",
    }  # fmt: skip
    assert compiled <= set(pins())
