(function(){
const D=JSON.parse(document.getElementById('data').textContent);
const NS='http://www.w3.org/2000/svg';
function el(n,a,t){const e=document.createElementNS(NS,n);for(const k in a)e.setAttribute(k,a[k]);if(t!==undefined)e.textContent=t;return e;}
function color(r){const h=Math.round(120*(1-r));return 'hsl('+h+',70%,'+(85-35*r)+'%)';}
function heat(svg){
  const cats=D.categories,muts=D.mutators,cw=64,ch=22,left=190,top=90;
  svg.setAttribute('width',left+cw*muts.length+10);svg.setAttribute('height',top+ch*cats.length+10);
  muts.forEach((m,j)=>{svg.appendChild(el('text',{x:left+j*cw+cw/2,y:top-6,transform:'rotate(-40 '+(left+j*cw+cw/2)+' '+(top-6)+')'},m));});
  cats.forEach((c,i)=>{svg.appendChild(el('text',{x:left-6,y:top+i*ch+15,'text-anchor':'end'},D.catnames[c]||c));
    muts.forEach((m,j)=>{const v=(D.heat[c]||{})[m];const g=el('g',{});
      const r=el('rect',{class:'cell',x:left+j*cw,y:top+i*ch,width:cw-2,height:ch-2,fill:v?color(v.rate):'#f4f4f4'});
      r.appendChild(el('title',{},v?(c+' × '+m+': '+(100*v.rate).toFixed(1)+'% (n='+v.n+', '+(100*v.low).toFixed(1)+'–'+(100*v.high).toFixed(1)+'%)'):'n=0'));
      g.appendChild(r);if(v)g.appendChild(el('text',{x:left+j*cw+cw/2-1,y:top+i*ch+15,'text-anchor':'middle'},(100*v.rate).toFixed(0)));svg.appendChild(g);});});
}
function bars(svg,rows,names){
  const keys=Object.keys(rows),bh=18,left=190,w=420,top=10;
  svg.setAttribute('width',left+w+150);svg.setAttribute('height',top+bh*keys.length+24);
  [0,0.25,0.5,0.75,1].forEach(t=>{svg.appendChild(el('line',{x1:left+w*t,x2:left+w*t,y1:top,y2:top+bh*keys.length,stroke:'#eee'}));
    svg.appendChild(el('text',{x:left+w*t,y:top+bh*keys.length+14,'text-anchor':'middle'},(100*t)+'%'));});
  keys.forEach((k,i)=>{const v=rows[k],y=top+i*bh;
    svg.appendChild(el('text',{x:left-6,y:y+13,'text-anchor':'end'},(names&&names[k])||k));
    const b=el('rect',{class:'bar',x:left,y:y+3,width:Math.max(1,w*v.rate),height:bh-6,fill:color(v.rate)});
    b.appendChild(el('title',{},(100*v.rate).toFixed(1)+'% n='+v.n));svg.appendChild(b);
    svg.appendChild(el('line',{class:'ci',x1:left+w*v.low,x2:left+w*v.high,y1:y+bh/2,y2:y+bh/2,stroke:'#333','stroke-width':1.5}));
    svg.appendChild(el('text',{x:left+w+6,y:y+13},(100*v.rate).toFixed(1)+'% (n='+v.n+')'));});
}
heat(document.getElementById('heatmap'));
bars(document.getElementById('bars-mutator'),D.by_mutator);
bars(document.getElementById('bars-category'),D.by_category,D.catnames);
bars(document.getElementById('bars-over'),D.over_by_kind);
document.body.setAttribute('data-rendered','1');
})();
