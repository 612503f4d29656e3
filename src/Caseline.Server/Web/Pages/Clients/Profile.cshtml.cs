using Caseline.Server.Audit;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>A client's whole profile, each section and item with its last change. Reading it is audited as an API read is.</summary>
[Audited]
internal sealed class ProfileModel(WebQueries queries) : WebPage
{
    public ClientPage? Client { get; private set; }

    public IActionResult OnGet(string clientId)
    {
        Client = queries.Client(Caller.AgencyId, clientId);
        return Client is null ? NotFound() : Page();
    }
}
