#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Installs LlmGateway as a Windows service that starts with the machine.

.DESCRIPTION
    Copies the published gateway into InstallDir\app, registers the service "LlmGateway" (delayed
    automatic start, run as LocalService, restarted on failure), gives it its settings as service
    environment variables, and starts it. Run again to update: the service is stopped, the files
    replaced and the settings rewritten.

    Prepare the inputs first (see docs/deploy.md):
        dotnet publish src/LlmGateway -c Release -r win-x64 --self-contained false -o out\app
    and an official llama.cpp Windows release (llama-server.exe with its DLLs).

.PARAMETER Published
    The folder that dotnet publish wrote (holds LlmGateway.exe).

.PARAMETER LlamaServer
    llama-server.exe; its whole folder (the DLLs beside it) is copied to InstallDir\llama.

.PARAMETER ModelPath
    The GGUF file to serve. Windows has no demo model: this is required. It must be readable by
    LocalService (a folder under C:\ProgramData is; a user profile usually is not).

.PARAMETER Settings
    More gateway settings as a hashtable of Section__Key = value, e.g. @{ Cpu__Profile = 'Balanced' }.

.EXAMPLE
    .\deploy\windows\install.ps1 -Published out\app -LlamaServer C:\llama\llama-server.exe -ModelPath C:\ProgramData\LlmGateway\models\qwen2.5-0.5b-instruct-q4_k_m.gguf
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Published,
    [Parameter(Mandatory)] [string] $LlamaServer,
    [Parameter(Mandatory)] [string] $ModelPath,
    [string] $InstallDir = (Join-Path $env:ProgramFiles 'LlmGateway'),
    [string] $Urls = 'http://127.0.0.1:8080',
    [hashtable] $Settings = @{}
)

$ErrorActionPreference = 'Stop'
$ServiceName = 'LlmGateway'   # the name Program.cs gives AddWindowsService

function Invoke-Sc {
    # sc.exe reports failure only through its exit code.
    & sc.exe @args | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "sc.exe $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

$gateway = Join-Path $Published 'LlmGateway.exe'
if (-not (Test-Path -LiteralPath $gateway -PathType Leaf)) { throw "No LlmGateway.exe in ${Published}: run dotnet publish first (see the help)." }
if (-not (Test-Path -LiteralPath $LlamaServer -PathType Leaf)) { throw "No llama-server at $LlamaServer." }
if (-not (Test-Path -LiteralPath $ModelPath -PathType Leaf)) { throw "No model at $ModelPath." }
$ModelPath = (Resolve-Path -LiteralPath $ModelPath).Path

$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($existing -and $existing.Status -ne 'Stopped') {
    Write-Host "Stopping $ServiceName to replace its files"
    Stop-Service -Name $ServiceName -Force
    $existing.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(30))
}

$appDir = Join-Path $InstallDir 'app'
$llamaDir = Join-Path $InstallDir 'llama'
foreach ($dir in $appDir, $llamaDir) {
    if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
}
Copy-Item -Path (Join-Path $Published '*') -Destination $appDir -Recurse -Force
Copy-Item -Path (Join-Path (Split-Path -Parent $LlamaServer) '*') -Destination $llamaDir -Recurse -Force

$binary = '"' + (Join-Path $appDir 'LlmGateway.exe') + '"'
if (-not $existing) {
    New-Service -Name $ServiceName -BinaryPathName $binary -DisplayName 'LlmGateway' `
        -Description 'OpenAI-compatible gateway that runs llama-server in the background under a CPU budget.' `
        -StartupType Automatic | Out-Null
}

# Delayed start: a background model should not slow the boot.
Invoke-Sc config $ServiceName start= delayed-auto
# LocalService: no network credentials, no rights beyond those of an ordinary user. The binary path
# is rewritten too, for an update into another InstallDir. Through CIM rather than sc.exe, whose empty
# password and quoted path arguments PowerShell versions pass differently.
$change = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'" |
    Invoke-CimMethod -MethodName Change -Arguments @{ PathName = $binary; StartName = 'NT AUTHORITY\LocalService'; StartPassword = '' }
if ($change.ReturnValue -ne 0) { throw "Setting the service account failed: Win32_Service.Change returned $($change.ReturnValue)" }
# Recovery: restart after 5 s, 30 s, then every 2 minutes; the failure count resets after a day.
# failureflag 1: also when the service stops itself with an error (the gateway's exit code 2 for a bad
# setting stops it that way; the message is in the Application event log).
Invoke-Sc failure $ServiceName reset= 86400 actions= restart/5000/restart/30000/restart/120000
Invoke-Sc failureflag $ServiceName 1

# The service's environment (a REG_MULTI_SZ the service control manager passes to the process): the
# gateway reads Section__Key variables like on every other platform.
$environment = [ordered]@{
    ASPNETCORE_URLS               = $Urls
    Model__Path                   = $ModelPath
    LlamaServer__ExecutablePath   = (Join-Path $llamaDir (Split-Path -Leaf $LlamaServer))
}
foreach ($key in $Settings.Keys) { $environment[$key] = [string]$Settings[$key] }
$lines = [string[]]($environment.Keys | ForEach-Object { "$_=$($environment[$_])" })
Set-ItemProperty -Path "HKLM:\SYSTEM\CurrentControlSet\Services\$ServiceName" -Name Environment -Type MultiString -Value $lines

# The gateway logs to the Application event log under its name; only an administrator may create the
# source, so it is created here rather than by the service at its first message.
if (-not [System.Diagnostics.EventLog]::SourceExists($ServiceName)) {
    [System.Diagnostics.EventLog]::CreateEventSource($ServiceName, 'Application')
}

Start-Service -Name $ServiceName
Write-Host "$ServiceName is installed and started. Readiness: Invoke-RestMethod $Urls/ready"
