using Caseline.Server.Lookups;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency-configurable lookup lists, each saved through the lookups API's own operation.</summary>
internal sealed class LookupsModel(Database database, WriteQueue writes) : AdminPage
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
        var result = (await LookupsApi.Put(Caller, kind, new LookupValues(list), writes, ct)).Result;
        await AuditAsync($"lookup saved: {kind} ({list.Count} values)", Outcome(result));
        if (Succeeded(result))
        {
            Notify($"{Title(kind)} saved.");
            return RedirectToPage();
        }

        Load();
        return Page();
    }

    private void Load()
    {
        foreach (var kind in LookupsApi.Configurable)
        {
            Lists.Add((kind, LookupsApi.Values(Caller.AgencyId, kind, database) ?? []));
        }
    }
}
