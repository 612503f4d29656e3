namespace Caseline.Server.Web.Pages.Deliveries;

/// <summary>Every webhook endpoint's health.</summary>
internal sealed class DeliveriesModel(WebQueries queries) : WebPage
{
    public IReadOnlyList<EndpointHealth> Endpoints { get; private set; } = [];

    public void OnGet() => Endpoints = queries.Health(Caller.AgencyId);
}
