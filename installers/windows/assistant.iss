; Assistant Marchés Publics — per-user Windows installer (Inno Setup 6), no administrator rights.
;
; On Windows, from the repository: `installers\windows\build.cmd` (the bundle, the launcher, this
; script, the update archive), or by hand after both PyInstaller builds:
;   iscc /DAppVersion=0.1.0 installers\windows\assistant.iss
;   -> dist\assistant-marches-publics-0.1.0-windows-x64-setup.exe
;
; Installs into %LOCALAPPDATA%\Programs\Assistant Marches Publics\ (the user's own folder):
;   versions\<version>\      the bundle (assistant.exe, assistantw.exe, _internal\); updates add
;                             the next one beside it and keep the previous (assistant/update)
;   current                   one line, the version in use (the updater replaces it atomically)
;   assistantw.exe, assistant.exe, _internal\
;                             the small stable launcher (installers\windows\launcher.spec) that
;                             starts versions\<current>\'s program: what the menu and Run name
; adds a Start menu entry, optionally the HKCU Run value for "Démarrer avec ma session" (the same
; value assistant/autostart/windows.py writes: name AssistantMarchesPublics, data
; "<app>\assistantw.exe" run), and an uninstaller (Settings > Apps) that removes the files (every
; version), the menu entry and the Run value. The user's settings and certificates vault
; (%LOCALAPPDATA%\assistant-marches-publics) are kept. No symbolic link, no administrator right.
; Silent install for IT: setup.exe /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Assistant Marchés Publics"
#define AppExe "assistant.exe"
; The windowed twin build.spec makes on Windows: what the menu, the Run value and the end of the
; installation start (no console window); assistant.exe stays the command line's.
#define AppGuiExe "assistantw.exe"

[Setup]
AppId={{6F1C2B9E-5D2A-4C31-9B7E-3A8F5C1D2E47}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Assistant Marchés Publics
DefaultDirName={localappdata}\Programs\Assistant Marches Publics
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
DisableProgramGroupPage=yes
DisableDirPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=assistant-marches-publics-{#AppVersion}-windows-x64-setup
Compression=lzma2/ultra64
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
CloseApplications=yes

[Languages]
Name: "french"; MessagesFile: "compiler:Languages\French.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
french.Autostart=Démarrer l'assistant avec ma session
english.Autostart=Start the assistant with my session
french.LaunchNow=Lancer l'assistant maintenant
english.LaunchNow=Start the assistant now

[Tasks]
Name: "autostart"; Description: "{cm:Autostart}"

[InstallDelete]
; An install made by an earlier script had the bundle itself at {app}: its runtime folder goes
; (the launcher brings its own); its .exe files are replaced by the launcher's.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\assistant-marches-publics\*"; DestDir: "{app}\versions\{#AppVersion}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\..\dist\assistant-marches-publics-launcher\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#AppGuiExe}"; Parameters: "run"; WorkingDir: "{app}"

[Registry]
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "AssistantMarchesPublics"; ValueData: """{app}\{#AppGuiExe}"" run"; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\{#AppGuiExe}"; Parameters: "run"; Description: "{cm:LaunchNow}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{app}\{#AppExe}"; Parameters: "autostart off"; Flags: runhidden; RunOnceId: "AutostartOff"

[UninstallDelete]
Type: filesandordirs; Name: "{app}"

[Code]
{ The version the launcher starts: written once the files are in place (the updater later
  replaces this file atomically; the launcher falls back to the newest complete version if it is
  ever missing). }
procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
    SaveStringToFile(ExpandConstant('{app}\current'), '{#AppVersion}' + #13#10, False);
end;
