#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Stops and removes the LlmGateway Windows service; with -RemoveFiles also its installation folder.

.DESCRIPTION
    The model files are never removed: they are the user's (install.ps1 only points at them).
#>
[CmdletBinding()]
param(
    [string] $InstallDir = (Join-Path $env:ProgramFiles 'LlmGateway'),
    [switch] $RemoveFiles
)

$ErrorActionPreference = 'Stop'
$ServiceName = 'LlmGateway'

$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($service) {
    if ($service.Status -ne 'Stopped') {
        # The gateway stops llama-server itself; its job object kills the child even if it cannot.
        Stop-Service -Name $ServiceName -Force
        $service.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(30))
    }
    & sc.exe delete $ServiceName | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "sc.exe delete $ServiceName failed with exit code $LASTEXITCODE" }
    Write-Host "$ServiceName removed"
}
else {
    Write-Host "No service named $ServiceName"
}

if ([System.Diagnostics.EventLog]::SourceExists($ServiceName)) {
    [System.Diagnostics.EventLog]::DeleteEventSource($ServiceName)
}

if ($RemoveFiles -and (Test-Path -LiteralPath $InstallDir)) {
    Remove-Item -LiteralPath $InstallDir -Recurse -Force
    Write-Host "Removed $InstallDir"
}
