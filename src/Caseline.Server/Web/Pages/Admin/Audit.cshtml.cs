using System.Globalization;
using Caseline.Server.Audit;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency's audit trail, read-only and newest first, filtered by who, client and day.</summary>
internal sealed class AuditModel(AuditTrail audit) : AdminPage
{
    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ClientId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    /// <summary>The cursor of the last record shown on the page before: older records come next.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Before { get; set; }

    public IReadOnlyList<AuditRecord> Records { get; private set; } = [];

    public string? Next { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var from = Day(From, "From");
        var to = Day(To, "To")?.AddDays(1).AddTicks(-1);
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (await audit.LatestAsync(Caller.AgencyId, new AuditFilter(Blank(Actor), Blank(ClientId), from, to), Blank(Before), 200, ct) is not AuditRead.Found { Page: var page })
        {
            Errors["before"] = ["The page asked for does not exist; start again from the newest records."];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Records = page.Records;
        Next = page.Cursor is null
            ? null
            : QueryHelpers.AddQueryString("/ui/admin/audit", new Dictionary<string, string?> { ["actor"] = Actor, ["clientId"] = ClientId, ["from"] = From, ["to"] = To, ["before"] = page.Cursor }
                .Where(p => !string.IsNullOrEmpty(p.Value)));
    }

    private DateTimeOffset? Day(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        Errors[field] = [$"{field} must be a date, for example 2024-05-01"];
        return null;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
