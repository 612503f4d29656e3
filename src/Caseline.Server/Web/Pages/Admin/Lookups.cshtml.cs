using Caseline.Server.Lookups;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency-configurable lookup lists, each saved through the lookups API's own operation.</summary>
internal sealed class LookupsModel(LookupOperations lookups) : AdminPage
{
    public List<(string Kind, IReadOnlyList<string> Values)> Lists { get; } = [];

    public static string Title(string kind) => kind switch
    {
        "staticRiskRatings" => "Static risk ratings",
        "needsClassifications" => "Needs classifications",
        "offenseCategories" => "Offense categories",
        _ => char.ToUpperInvariant(kind[0]) + kind[1..],
    };

    public void OnGet() => Load();

    public async Task<IActionResult> OnPostAsync(string kind, string? values, CancellationToken ct)
    {
        var list = (values ?? "").Split('\n').Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
        var result = await lookups.SaveAsync(Caller, kind, list, ct);
        // The audit record has the status the API would have answered.
        await AuditAsync($"lookup saved: {kind} ({list.Count} values)", result switch
        {
            SaveLookupResult.Saved => StatusCodes.Status200OK,
            SaveLookupResult.Invalid => StatusCodes.Status400BadRequest,
            SaveLookupResult.Fixed => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status404NotFound,
        });
        switch (result)
        {
            case SaveLookupResult.Saved:
                Notify($"{Title(kind)} saved.");
                return RedirectToPage();
            case SaveLookupResult.Invalid invalid:
                foreach (var (key, messages) in invalid.Errors)
                {
                    Errors[key] = messages;
                }

                break;
            case SaveLookupResult.Fixed:
                Errors[""] = [LookupMessages.Fixed];
                break;
            default:
                Errors[""] = [LookupMessages.NoSuchList];
                break;
        }

        Load();
        return Page();
    }

    private void Load()
    {
        foreach (var kind in LookupOperations.Configurable)
        {
            Lists.Add((kind, lookups.Values(Caller.AgencyId, kind)));
        }
    }
}
