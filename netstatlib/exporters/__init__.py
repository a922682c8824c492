"""Exporters: netstatlib as a data source for Prometheus and OpenTelemetry.

- :mod:`netstatlib.exporters.prometheus` (extra ``netstatlib[prometheus]``): a
  ``prometheus_client`` custom collector, and the ``netstatlib exporter`` command that
  serves ``/metrics`` itself;
- :mod:`netstatlib.exporters.otel` (extra ``netstatlib[otel]``): observable
  instruments on an OpenTelemetry ``MeterProvider``.

Both read one :class:`~netstatlib.exporters.Collection` per scrape, gathered by
:func:`collect` through the query functions, and type each protocol counter as
:func:`netstatlib.counter_kind` does. This package imports neither ``prometheus_client``
nor OpenTelemetry: each submodule imports its own. See the "Monitoring a fleet" page.
"""

from ._collect import (
    DEFAULT_MAX_LISTENERS,
    DEFAULT_MAX_SYN_PORTS,
    DEFAULT_PROTOCOL_FIELDS,
    Collection,
    ExporterOptions,
    Listener,
    SharedCollection,
    collect,
)

__all__ = [
    "DEFAULT_MAX_LISTENERS",
    "DEFAULT_MAX_SYN_PORTS",
    "DEFAULT_PROTOCOL_FIELDS",
    "Collection",
    "ExporterOptions",
    "Listener",
    "SharedCollection",
    "collect",
]
