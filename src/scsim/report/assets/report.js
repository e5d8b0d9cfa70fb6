/* scsim report: draws the charts described by the page's JSON data with the vendored ECharts.
 * Option strings "fn:<name>" become the functions below. Each chart's entry in
 * window.__scsimCharts gets rendered = true when ECharts reports it has finished drawing. */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('scsim-data').textContent);
  var registry = (window.__scsimCharts = {});

  function finite(v) {
    return typeof v === 'number' && isFinite(v);
  }

  // As scsim.results.format: three significant figures, no exponent, no percentage digit
  // finer than 0.0001%, and a value closer to zero than rounding error is 0.
  function short(x) {
    var a = Math.abs(x);
    if (a < 1e-12) return '0';
    if (a < 1e-4) return '<0.0001';
    return String(+a.toPrecision(3));
  }

  function sign(x) {
    return Math.abs(x) < 1e-12 ? '' : x > 0 ? '+' : '\u2212';
  }

  var formats = {
    pct: function (v) {
      return finite(v) ? (v < 0 && Math.abs(v) >= 1e-12 ? '\u2212' : '') + short(v * 100) + '%' : '–';
    },
    pp: function (v) {
      return finite(v) ? sign(v) + short(v * 100) + ' pp' : '–';
    },
    ratio: function (v) {
      return finite(v) ? String(+v.toPrecision(4)) + '×' : '–';
    },
    days: function (v) {
      return finite(v) ? short(v) + ' d' : '–';
    },
    compact: function (v) {
      if (!finite(v)) return '–';
      var a = Math.abs(v), s = v < 0 ? '\u2212' : '';
      if (a >= 1e9) return s + short(a / 1e9) + ' B';
      if (a >= 1e6) return s + short(a / 1e6) + ' M';
      if (a >= 1e4) return s + short(a / 1e3) + ' k';
      if (a >= 1e3) return s + Math.round(a).toLocaleString('en-US');
      return s + short(a);
    }
  };

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function axisTip(format) {
    return function (params) {
      if (!params || !params.length) return '';
      var lines = [esc(params[0].axisValueLabel || params[0].name)];
      params.forEach(function (p) {
        lines.push(p.marker + esc(p.seriesName) + ': ' + format(p.value));
      });
      return lines.join('<br>');
    };
  }

  var fns = {
    tip: function (p) {
      return (p.data && p.data.tip) || esc(p.name);
    },
    axisPct: axisTip(formats.pct),
    axisCompact: axisTip(formats.compact),
    errorBar: function (params, api) {
      var low = api.value(0), high = api.value(1), row = api.value(2);
      if (!finite(low) || !finite(high)) return null;
      var a = api.coord([low, row]), b = api.coord([high, row]), cap = 4;
      var style = { stroke: '#777', fill: null, lineWidth: 1.5 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: style },
          { type: 'line', shape: { x1: a[0], y1: a[1] - cap, x2: a[0], y2: a[1] + cap }, style: style },
          { type: 'line', shape: { x1: b[0], y1: b[1] - cap, x2: b[0], y2: b[1] + cap }, style: style }
        ]
      };
    }
  };
  Object.keys(formats).forEach(function (name) {
    fns[name] = formats[name];
  });

  function resolve(node) {
    if (typeof node === 'string' && node.indexOf('fn:') === 0) {
      var fn = fns[node.slice(3)];
      if (!fn) throw new Error('unknown function ' + node);
      return fn;
    }
    if (Array.isArray(node)) return node.map(resolve);
    if (node && typeof node === 'object') {
      var out = {};
      Object.keys(node).forEach(function (key) {
        out[key] = resolve(node[key]);
      });
      return out;
    }
    return node;
  }

  function bindLayers(spec, chart) {
    var select = document.querySelector('select[data-chart="' + spec.id + '"]');
    if (!select) return;
    select.addEventListener('change', function () {
      var layer = spec.layers[+select.value];
      chart.setOption({
        visualMap: {
          min: layer.min, max: layer.max, text: layer.text, show: layer.show !== false,
          formatter: formats[layer.format]
        },
        series: [{ name: layer.label, data: layer.data }]
      });
      var legend = document.getElementById(spec.id + '-legend');
      if (legend && layer.legend) legend.textContent = layer.legend;
    });
  }

  function draw(spec) {
    var element = document.getElementById(spec.id);
    var entry = (registry[spec.id] = { rendered: false, error: null, chart: null });
    try {
      var chart = echarts.init(element, null, { renderer: 'canvas' });
      entry.chart = chart;
      chart.on('finished', function () {
        entry.rendered = true;
      });
      chart.setOption(resolve(spec.option));
      if (spec.layers) bindLayers(spec, chart);
    } catch (err) {
      entry.error = String(err);
      element.textContent = 'This chart could not be drawn: ' + err;
    }
  }

  if (data.geo) echarts.registerMap(data.mapName, data.geo);
  data.charts.forEach(draw);
  window.addEventListener('resize', function () {
    Object.keys(registry).forEach(function (id) {
      if (registry[id].chart) registry[id].chart.resize();
    });
  });
})();
