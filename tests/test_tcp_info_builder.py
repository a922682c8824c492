"""The fast builder of TcpInfo (one unpack of a whole tcp_info, used for every socket of a
``details=True`` dump) agrees with parse_tcp_info, which reads the structure field by
field and serves kernels that send less."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netstatlib.parsers.sockdiag import _FULL_TCP_INFO, parse_tcp_info


@given(st.sampled_from(["little", "big"]), st.data())
def test_the_fast_builder_equals_the_field_by_field_parser(
    byteorder: str, data: st.DataObject
) -> None:
    full, build = _FULL_TCP_INFO[byteorder]
    raw = data.draw(st.binary(min_size=full.size, max_size=full.size + 16))
    assert build(full.unpack_from(raw)) == parse_tcp_info(raw, byteorder=byteorder)  # type: ignore[arg-type]


def test_the_fast_builder_covers_every_field_parse_tcp_info_reads() -> None:
    full, build = _FULL_TCP_INFO["little"]
    info = build(full.unpack_from(bytes(range(256))[: full.size]))
    assert None not in (info.rcv_wnd, info.snd_wnd, info.bytes_sent, info.delivery_rate)
