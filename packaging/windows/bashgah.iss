; SPDX-License-Identifier: GPL-3.0-or-later
; Bashgah's Windows installer, for Inno Setup 6.3 or later (x64compatible). Built by .github/workflows/windows.yml;
; by hand, after PyInstaller has made dist\bashgah\ (packaging\bashgah.spec), from the repository's root:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\bashgah.iss       -> dist\bashgah-0.1.0-windows-x64-setup.exe
;
; What it does: installs dist\bashgah\* (the windowed bashgah.exe and the console bashgah-cli.exe, one folder)
; into {autopf}\Bashgah for every user of the PC (needs an administrator); a Start-menu entry, and on request
; a desktop shortcut and the install folder on the system PATH (so that `bashgah-cli` works in any console).
; Silent: setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/MERGETASKS="desktopicon,addtopath"]
;         unins000.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/DELETEDATA]
; Uninstalling keeps the terminal's data (its database, keys and logs in %LOCALAPPDATA%\bashgah, where
; platformdirs.user_data_dir("bashgah", appauthor=False) puts them: app/cli/output.py default_data_dir) unless
; the person uninstalling says so, or /DELETEDATA is given. Other Windows accounts' data is never touched.
;
; This file is UTF-8 with a byte-order mark: Inno Setup reads a file without one as ANSI, and the Persian
; texts below would be garbled.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\bashgah.iss
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\bashgah"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "Bashgah"
#define AppExe "bashgah.exe"
#define CliExe "bashgah-cli.exe"
; platformdirs' folder for the app name "bashgah" with no author, under the user's %LOCALAPPDATA%
#define DataDirName "bashgah"

; Persian installer messages: Inno Setup does not ship them. The unofficial translation (Farsi.isl, from
; Inno Setup's own repository) is used when the workflow has fetched it next to this file, or when it is
; in the compiler's Languages folder; without it the installer is English only, and says so when compiled.
#if FileExists(AddBackslash(SourcePath) + "Farsi.isl")
  #define FarsiMessages "Farsi.isl"
#elif FileExists(AddBackslash(CompilerPath) + "Languages\Farsi.isl")
  #define FarsiMessages "compiler:Languages\Farsi.isl"
#elif FileExists(AddBackslash(CompilerPath) + "Languages\Unofficial\Farsi.isl")
  #define FarsiMessages "compiler:Languages\Unofficial\Farsi.isl"
#else
  #pragma warning "No Farsi.isl found: this installer speaks English only (packaging/windows/README.md)"
#endif

[Setup]
; The AppId identifies the product to Windows (upgrades, Programs and Features): never change it.
AppId={{9D51C564-AF6D-429B-B874-3EC1D030117E}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per machine: one install that every cashier's Windows account uses; no "just for me" choice.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=bashgah-{#AppVersion}-windows-x64-setup
SetupIconFile=..\icons\bashgah.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; Tells running programs (new consoles) that PATH changed, on install and on uninstall.
ChangesEnvironment=yes
; An upgrade closes a running terminal through the Restart Manager rather than failing on locked files.
CloseApplications=yes
RestartApplications=no
#ifdef SignTool
; Signing (README.md): iscc /DSignTool=bashgahsign … with a sign tool of that name set up in the IDE or
; given as /Sbashgahsign="signtool.exe sign /fd sha256 /tr http://timestamp.example /td sha256 $f".
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
#ifdef FarsiMessages
Name: "fa"; MessagesFile: "{#FarsiMessages}"
#endif

[CustomMessages]
en.AddToPath=Add the install folder to the system PATH (the bashgah-cli command in any console)
en.DeleteDataQuestion=Also delete this Windows account's Bashgah data (its database, keys and logs)?%n%n%1%n%nChoose No to keep it for a later install. The club server keeps its own copy of what was synced.
#ifdef FarsiMessages
fa.AddToPath=افزودن پوشهٔ نصب به PATH سیستم (فرمان bashgah-cli در هر خط فرمان)
fa.DeleteDataQuestion=داده‌های باشگاه در این حساب ویندوز (پایگاه داده، کلیدها و گزارش‌ها) هم پاک شوند؟%n%n%1%n%nبرای نگه داشتن آن‌ها برای نصب بعدی «خیر» را بزنید. سرور باشگاه نسخهٔ همگام‌شدهٔ خودش را دارد.
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "{cm:AddToPath}"; Flags: unchecked

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; Appended to the machine's PATH; [Code] takes exactly this entry out again on uninstall.
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NotOnPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the program may leave in its own folder; the user's data lives elsewhere (see [Code]).
Type: filesandordirs; Name: "{app}\__pycache__"
Type: dirifempty; Name: "{app}"

[Code]
const
  EnvironmentKey = 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';

function OnPath(Paths, Dir: String): Integer;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';');
end;

function NotOnPath(Dir: String): Boolean;
var
  Paths: String;
begin
  if not RegQueryStringValue(HKLM, EnvironmentKey, 'Path', Paths) then
    Result := True
  else
    Result := OnPath(Paths, Dir) = 0;
end;

procedure RemoveFromPath(Dir: String);
var
  Paths: String;
  At: Integer;
begin
  if not RegQueryStringValue(HKLM, EnvironmentKey, 'Path', Paths) then
    exit;
  Paths := ';' + Paths + ';';
  At := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if At = 0 then
    exit;
  Delete(Paths, At, Length(Dir) + 1);
  RegWriteExpandStringValue(HKLM, EnvironmentKey, 'Path', Copy(Paths, 2, Length(Paths) - 2));
end;

function DataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataDirName}');
end;

function DeleteDataAsked(): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), '/DELETEDATA') = 0 then
      Result := True;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
  if (CurUninstallStep = usPostUninstall) and DirExists(DataDir()) then
  begin
    // Silent uninstalls (upgrades, scripts) keep the data unless /DELETEDATA says otherwise; a person is asked,
    // with "No" as the default button.
    if DeleteDataAsked() or ((not UninstallSilent()) and
       (MsgBox(FmtMessage(CustomMessage('DeleteDataQuestion'), [DataDir()]), mbConfirmation,
               MB_YESNO or MB_DEFBUTTON2) = IDYES)) then
      DelTree(DataDir(), True, True, True);
  end;
end;
