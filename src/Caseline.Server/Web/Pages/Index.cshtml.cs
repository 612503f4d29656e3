using Caseline.Server.Http;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages;

/// <summary>The caseload: the agency's clients, searched, filtered, sorted and paged; "my caseload" is the officer's own.</summary>
internal sealed class CaseloadModel(ClientOperations clients, LookupOperations lookups) : WebPage
{
    public static readonly (string Key, string Label)[] Columns =
        [(ClientSort.Id, "Identifier"), (ClientSort.Name, "Name"), (ClientSort.Status, "Status"), (ClientSort.Caseload, "Caseload"), (ClientSort.Officer, "Officer")];

    [BindProperty(SupportsGet = true)]
    public string? Q { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Status { get; set; }

    [BindProperty(SupportsGet = true, Name = "caseload")]
    public string? CaseloadFilter { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Officer { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool Mine { get; set; }

    [BindProperty(SupportsGet = true)]
    public string Sort { get; set; } = ClientSort.Name;

    [BindProperty(SupportsGet = true)]
    public bool Desc { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public CaseloadPage Result { get; private set; } = new([], 0, 1, 25);

    public IReadOnlyList<string> Caseloads { get; private set; } = [];

    public IReadOnlyList<string> Officers { get; private set; } = [];

    public string AgencyName => Caller.AgencyName;

    public IActionResult OnGet()
    {
        if (Caseline.Server.Identity.Caller.TryFrom(User) is null)
        {
            // The platform administrator is of no agency and has no caseload: their start page is Agencies.
            return Redirect(WebUi.Home(Caseline.Server.Identity.Roles.PlatformAdministrator));
        }

        if (!ClientOperations.Sorts.Contains(Sort, StringComparer.OrdinalIgnoreCase))
        {
            Sort = ClientSort.Name;
        }

        Sort = Sort.ToLowerInvariant();
        var filter = ClientFilter.Of(Q, Status, CaseloadFilter, Mine ? Caller.Login : Officer);
        Result = clients.Caseload(Caller, filter, Sort, Desc, PageNumber);
        Caseloads = lookups.Values(Caller.AgencyId, "caseloads");
        Officers = lookups.Values(Caller.AgencyId, "officers");
        return Page();
    }

    public static string SortLabel(string key) => Columns.First(c => c.Key == key).Label.ToLowerInvariant();

    /// <summary>This page's address with the current filters and some parts changed.</summary>
    public string Link(string? sort = null, bool? desc = null, int? page = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["mine"] = Mine ? "true" : null,
            ["q"] = Input.Blank(Q),
            ["status"] = Input.Blank(Status),
            ["caseload"] = Input.Blank(CaseloadFilter),
            ["officer"] = Mine ? null : Input.Blank(Officer),
            ["sort"] = sort ?? Sort,
            ["desc"] = (desc ?? Desc) ? "true" : null,
            ["p"] = (page ?? Result.Page).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(WebUi.Root, query.Where(p => p.Value is not null)!);
    }
}
