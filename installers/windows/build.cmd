@echo off
rem Assistant Marchés Publics: the Windows per-user installer and update archive, in one command.
rem
rem   installers\windows\build.cmd
rem
rem On Windows 10/11 x64 with Python 3.11 (the project's .venv, made by `py -3.11 -m venv .venv`
rem and `.venv\Scripts\pip install -e .[dev]`) and Inno Setup 6 (iscc.exe on PATH). Makes, in dist\:
rem   assistant-marches-publics\                               the bundle (build.spec)
rem   assistant-marches-publics-launcher\                      the stable launcher (launcher.spec)
rem   assistant-marches-publics-<version>-windows-x64-setup.exe  the installer (assistant.iss)
rem   assistant-marches-publics-<version>-windows-x64.tar.xz   what `make release` publishes for
rem                                                            Windows (installers\release.py --os windows)
setlocal
cd /d "%~dp0\..\.."
set PY=.venv\Scripts\python.exe
%PY% -m PyInstaller --noconfirm --distpath dist --workpath build build.spec || exit /b 1
%PY% -m PyInstaller --noconfirm --distpath dist --workpath build\launcher installers\windows\launcher.spec || exit /b 1
for /f "tokens=4" %%v in ('dist\assistant-marches-publics\assistant.exe --version') do set VERSION=%%v
if "%VERSION%"=="" (echo build.cmd: no version from the bundle & exit /b 1)
iscc /DAppVersion=%VERSION% installers\windows\assistant.iss || exit /b 1
%PY% installers\package.py --update-archive windows --bundle dist\assistant-marches-publics --out dist || exit /b 1
echo dist\assistant-marches-publics-%VERSION%-windows-x64-setup.exe
