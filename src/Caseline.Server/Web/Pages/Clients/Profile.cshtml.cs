using Caseline.Server.Audit;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>A client's whole profile, each section and item with its last change. Reading it is audited as an API read is.</summary>
[Audited]
internal sealed class ProfileModel(ClientOperations clients) : WebPage
{
    public ClientPage? Client { get; private set; }

    public IActionResult OnGet(string clientId)
    {
        if (clients.History(Caller, clientId) is not { } history)
        {
            return NotFound();
        }

        Client = ClientPage.Of(history);
        return Page();
    }
}
