namespace Snapcat.Server.Catalog;

/// <summary>
/// What the scheduler does about runs missed while the server was down. Stored in the definition table's
/// <c>missed_runs</c> column as its encoded name (<see cref="Snapcat.Core.Json.SnapcatJson.Name{T}"/>: "skip",
/// "run_once"), the text every existing catalog already holds; the numbers are never stored but stay fixed all the same.
/// </summary>
public enum MissedRunPolicy
{
    Skip = 0,
    RunOnce = 1,
}
